import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import type { BridgeMessage, WireRequest } from '../../src/platform/web/client-wire.ts';
import { installFakeRuntime } from './fake-runtime.ts';

const runtime = installFakeRuntime();
const { BackgroundLink, KEEPALIVE_INTERVAL_MS } = await import('../../content/bridge/background-link.ts');

const URL_BASE = 'https://p2p-matrix.invalid/_matrix/client/v3';
const sync: WireRequest = { method: 'GET', url: `${URL_BASE}/sync?timeout=30000`, headers: {}, body: null };
const createRoom: WireRequest = {
  method: 'POST',
  url: `${URL_BASE}/createRoom`,
  headers: {},
  body: { text: '{}' },
};
const send: WireRequest = {
  method: 'PUT',
  url: `${URL_BASE}/rooms/!r:x/send/m.room.message/t1`,
  headers: {},
  body: { text: '{"body":"hi"}' },
};

function link() {
  const replies: BridgeMessage[] = [];
  return { replies, link: new BackgroundLink((msg) => replies.push(msg)) };
}

const requestsOn = (port: { sent: unknown[] }) =>
  port.sent.filter((m): m is { type: 'request'; id: number } => (m as { type: string }).type === 'request');

describe('the isolated script link to the background', () => {
  // The keep-alive interval runs on mock timers, so that no test leaves a real one behind.
  beforeEach(() => {
    runtime.ports.length = 0;
    mock.timers.enable({ apis: ['setInterval'] });
  });
  afterEach(() => mock.timers.reset());

  test('sends a request on a port and hands the response to the page, bytes as an ArrayBuffer', () => {
    const { replies, link: l } = link();
    l.send(1, sync);
    l.send(2, sync);
    const port = runtime.latest();
    assert.equal(port.name, 'p2pm-client');
    assert.deepEqual(
      requestsOn(port).map((m) => m.id),
      [1, 2],
    );
    port.reply({
      type: 'response',
      id: 1,
      response: { status: 200, headers: {}, body: { text: '{"a":1}' } },
    });
    port.reply({ type: 'response', id: 2, response: { status: 200, headers: {}, body: { base64: 'AAEC' } } });
    assert.equal(replies[0]?.type === 'response' && replies[0].body, '{"a":1}');
    const bytes = replies[1]?.type === 'response' ? replies[1].body : null;
    assert.ok(bytes instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(bytes)], [0, 1, 2]);
    assert.equal(runtime.ports.length, 1, 'one port for the page');
  });

  test('when the worker dies, reads and txnId PUTs are sent again on a new port; anything else fails', () => {
    const { replies, link: l } = link();
    l.send(1, sync);
    l.send(2, createRoom);
    l.send(3, send);
    runtime.latest().die();
    assert.equal(runtime.ports.length, 2);
    assert.deepEqual(
      requestsOn(runtime.latest()).map((m) => m.id),
      [1, 3],
    );
    assert.deepEqual(replies, [{ type: 'failed', id: 2, reason: 'the extension stopped while answering' }]);
  });

  test('a request whose worker keeps dying fails in the end instead of retrying forever', () => {
    const { replies, link: l } = link();
    l.send(1, sync);
    for (let i = 0; i < 10 && replies.length === 0; i++) runtime.latest().die();
    assert.equal(replies[0]?.type, 'failed');
  });

  test('an aborted request tells the background, and its late response is dropped', () => {
    const { replies, link: l } = link();
    l.send(1, sync);
    l.abort(1);
    const port = runtime.latest();
    assert.deepEqual(port.sent.at(-1), { type: 'abort', id: 1 });
    port.reply({ type: 'response', id: 1, response: { status: 200, headers: {}, body: null } });
    assert.deepEqual(replies, []);
  });

  describe('keep-alive', () => {
    test('pings every 20 s while a request is open, and stops when none is', () => {
      const { link: l } = link();
      l.send(1, sync);
      const port = runtime.latest();
      const pings = () => port.sent.filter((m) => (m as { type: string }).type === 'ping').length;
      mock.timers.tick(KEEPALIVE_INTERVAL_MS);
      mock.timers.tick(KEEPALIVE_INTERVAL_MS);
      assert.equal(pings(), 2);
      port.reply({ type: 'response', id: 1, response: { status: 200, headers: {}, body: null } });
      mock.timers.tick(KEEPALIVE_INTERVAL_MS * 3);
      assert.equal(pings(), 2);
    });
  });
});
