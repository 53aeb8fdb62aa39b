import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { streamResponse } from '../../background/worker/response-stream.ts';
import {
  BODY_WINDOW,
  type BridgeMessage,
  MAX_CHUNK_BYTES,
  type WireRequest,
} from '../../src/platform/web/client-wire.ts';
import { decodeWireBytes } from '../../src/platform/web/hs-wire.ts';
import { type FakePort, installFakeRuntime } from './fake-runtime.ts';

const runtime = installFakeRuntime();
const { BackgroundLink, CHANNEL_TOUCH_MS, KEEPALIVE_INTERVAL_MS } = await import(
  '../../content/bridge/background-link.ts'
);

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

const head = (id: number, status = 200) => ({ type: 'head', id, status, headers: {} });
const chunk = (id: number, text: string) => ({ type: 'chunk', id, bytes: { text } });

/** The body bytes the page was given for request `id`, joined in arrival order. */
function bodyOf(replies: BridgeMessage[], id: number): Uint8Array {
  const parts = replies.flatMap((m) => (m.type === 'chunk' && m.id === id ? [new Uint8Array(m.bytes)] : []));
  return new Uint8Array(Buffer.concat(parts));
}

const typesOf = (replies: BridgeMessage[], id: number) =>
  replies.filter((m) => m.id === id).map((m) => m.type);

describe('the isolated script link to the background', () => {
  // The keep-alive runs on mock timers, so that no test leaves a real one behind. A tick
  // runs its timers at its end time: the tests tick one interval at a time, as time passes.
  beforeEach(() => {
    runtime.ports.length = 0;
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  });
  afterEach(() => mock.timers.reset());

  test('sends a request on a port and streams the response to the page, bytes as ArrayBuffers', () => {
    const { replies, link: l } = link();
    l.send(1, sync);
    l.send(2, sync);
    const port = runtime.latest();
    assert.equal(port.name, 'p2pm-client');
    assert.deepEqual(
      requestsOn(port).map((m) => m.id),
      [1, 2],
    );
    port.reply({ type: 'head', id: 1, status: 200, headers: { 'content-type': 'application/json' } });
    port.reply(chunk(1, '{"a":1}'));
    port.reply({ type: 'end', id: 1 });
    port.reply(head(2));
    port.reply({ type: 'chunk', id: 2, bytes: { base64: 'AAEC' } });
    port.reply({ type: 'end', id: 2 });
    assert.deepEqual(replies[0], {
      type: 'head',
      id: 1,
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(new TextDecoder().decode(bodyOf(replies, 1)), '{"a":1}');
    const bytes = replies.find((m) => m.type === 'chunk' && m.id === 2);
    assert.ok(bytes?.type === 'chunk' && bytes.bytes instanceof ArrayBuffer);
    assert.deepEqual([...bodyOf(replies, 2)], [0, 1, 2]);
    assert.deepEqual(typesOf(replies, 2), ['head', 'chunk', 'end']);
    assert.equal(runtime.ports.length, 1, 'one port for the page');
  });

  test('a response in one message reaches the page in one message, its body transferred, and ends the request', () => {
    const { replies, link: l } = link();
    l.send(1, sync);
    const port = runtime.latest();
    port.reply({ type: 'whole', id: 1, status: 200, headers: {}, bytes: { text: '{"a":1}' } });
    port.reply({ type: 'chunk', id: 1, bytes: { text: 'late' } });
    assert.deepEqual(typesOf(replies, 1), ['whole']);
    const [whole] = replies;
    assert.ok(whole?.type === 'whole' && whole.bytes instanceof ArrayBuffer);
    assert.equal(new TextDecoder().decode(whole.bytes), '{"a":1}');
  });

  test('a body larger than one chunk, as the background streams it, arrives whole and in order', async () => {
    // streamResponse waits a real task between chunks.
    mock.timers.reset();
    const { replies, link: l } = link();
    l.send(1, sync);
    const port = runtime.latest();
    // JSON text with multi-byte characters, then bytes that are not UTF-8: both ways a chunk can travel.
    const text = new TextEncoder().encode(JSON.stringify({ events: 'é€😀'.repeat(MAX_CHUNK_BYTES / 4) }));
    const binary = Uint8Array.from({ length: MAX_CHUNK_BYTES + 1000 }, (_, i) => (i * 7) & 0xff);
    const body = new Uint8Array(Buffer.concat([text, binary]));
    // Through a JSON round trip, as Chrome's runtime port serialises.
    const sink = { send: (msg: unknown) => port.reply(JSON.parse(JSON.stringify(msg))), wanted: () => true };
    await streamResponse(1, { status: 200, headers: {}, body }, sink);
    const types = typesOf(replies, 1);
    assert.ok(types.filter((t) => t === 'chunk').length >= 3, 'more than one chunk');
    assert.deepEqual(types, ['head', ...types.slice(1, -1).map(() => 'chunk'), 'end']);
    for (const m of replies) if (m.type === 'chunk') assert.ok(m.bytes.byteLength <= MAX_CHUNK_BYTES);
    assert.deepEqual(bodyOf(replies, 1), body);
  });

  test('the head reaches the page before the body has ended', () => {
    const { replies, link: l } = link();
    l.send(1, sync);
    const port = runtime.latest();
    port.reply(head(1));
    assert.deepEqual(typesOf(replies, 1), ['head']);
    port.reply(chunk(1, 'part one, '));
    assert.deepEqual(typesOf(replies, 1), ['head', 'chunk']);
    port.reply(chunk(1, 'part two'));
    port.reply({ type: 'end', id: 1 });
    assert.deepEqual(typesOf(replies, 1), ['head', 'chunk', 'chunk', 'end']);
    assert.equal(new TextDecoder().decode(bodyOf(replies, 1)), 'part one, part two');
  });

  test('aborted in the middle of its body, a request tells the background, and nothing more reaches the page', () => {
    const { replies, link: l } = link();
    l.send(1, sync);
    const port = runtime.latest();
    port.reply(head(1));
    port.reply(chunk(1, 'first'));
    l.abort(1);
    assert.deepEqual(port.sent.at(-1), { type: 'abort', id: 1 });
    port.reply(chunk(1, 'second'));
    port.reply({ type: 'end', id: 1 });
    assert.deepEqual(typesOf(replies, 1), ['head', 'chunk']);
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

  test('a retryable request whose port dies before its head is sent again and answered on the new port', () => {
    const { replies, link: l } = link();
    l.send(1, sync);
    runtime.latest().die();
    const second = runtime.latest();
    assert.deepEqual(
      requestsOn(second).map((m) => m.id),
      [1],
    );
    second.reply(head(1));
    second.reply(chunk(1, 'ok'));
    second.reply({ type: 'end', id: 1 });
    assert.deepEqual(typesOf(replies, 1), ['head', 'chunk', 'end']);
  });

  test('a port dying after the head fails the body as a network error and is not retried', () => {
    const { replies, link: l } = link();
    l.send(1, sync);
    l.send(2, sync);
    const port = runtime.latest();
    port.reply(head(1));
    port.reply(chunk(1, 'half a bo'));
    port.die();
    assert.deepEqual(replies.at(-1), {
      type: 'failed',
      id: 1,
      reason: 'the extension stopped while answering',
    });
    assert.deepEqual(typesOf(replies, 1), ['head', 'chunk', 'failed']);
    assert.deepEqual(
      requestsOn(runtime.latest()).map((m) => m.id),
      [2],
      'only the request without a head is sent again',
    );
  });

  test('an error from the background after the head fails the body', () => {
    const { replies, link: l } = link();
    l.send(1, sync);
    const port = runtime.latest();
    port.reply(head(1));
    port.reply({ type: 'error', id: 1, reason: 'gone' });
    assert.deepEqual(replies.at(-1), { type: 'failed', id: 1, reason: 'gone' });
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
    port.reply(head(1));
    port.reply({ type: 'end', id: 1 });
    assert.deepEqual(replies, []);
  });

  test('malformed messages, unknown ids and messages out of order are dropped without harm', () => {
    const { replies, link: l } = link();
    l.send(1, sync);
    const port = runtime.latest();
    for (const junk of [
      null,
      'head',
      42,
      { type: 'response', id: 1, response: { status: 200, headers: {}, body: null } },
      { type: 'head', id: 1, status: '200', headers: {} },
      { type: 'head', id: 1, status: 200, headers: { a: 1 } },
      { type: 'head', id: 1, status: 999, headers: {} },
      { type: 'chunk', id: 1, bytes: 'text' },
      chunk(1, 'a chunk before the head'),
      { type: 'end', id: 1 },
      head(7),
      { type: 'error', id: 1 },
      { type: 'head', id: '1', status: 200, headers: {} },
    ])
      port.reply(junk);
    assert.equal(replies.length, 0);
    port.reply(head(1));
    port.reply(head(1, 500));
    port.reply(chunk(1, 'body'));
    port.reply(chunk(9, 'not ours'));
    port.reply({ type: 'end', id: 1 });
    assert.deepEqual(replies[0], head(1), 'the first head counts');
    assert.deepEqual(typesOf(replies, 1), ['head', 'chunk', 'end']);
  });

  test('a chunk that cannot be decoded fails the request and stops the background', () => {
    const { replies, link: l } = link();
    l.send(1, sync);
    const port = runtime.latest();
    port.reply(head(1));
    port.reply({ type: 'chunk', id: 1, bytes: { base64: 'not base64!' } });
    assert.equal(replies.at(-1)?.type, 'failed');
    assert.deepEqual(port.sent.at(-1), { type: 'abort', id: 1 });
  });

  describe('a request body larger than one chunk', () => {
    const size = 5 * MAX_CHUNK_BYTES + 3;
    const bytes = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
    const upload: WireRequest = {
      method: 'POST',
      url: 'https://p2p-matrix.invalid/_matrix/media/v3/upload',
      headers: {},
      body: { streamed: size },
    };
    const pieces = (port: { sent: unknown[] }, id: number) =>
      port.sent.flatMap((m) => {
        const msg = m as { type: string; id: number; bytes: { base64: string } };
        return msg.type === 'body' && msg.id === id ? [decodeWireBytes(msg.bytes)] : [];
      });

    test('follows its request in pieces, BODY_WINDOW at once and one more per `more`', () => {
      const { link: l } = link();
      l.send(1, upload, bytes);
      const port = runtime.latest();
      assert.deepEqual(requestsOn(port).length, 1);
      assert.equal(pieces(port, 1).length, BODY_WINDOW);
      for (let i = 0; i < 10; i++) port.reply({ type: 'more', id: 1 });
      const sent = pieces(port, 1);
      assert.ok(sent.every((p) => p.length <= MAX_CHUNK_BYTES));
      assert.deepEqual(Buffer.concat(sent), Buffer.from(bytes));
    });

    test('is sent again from its start when the request is sent again on a new port', () => {
      const { link: l } = link();
      const put = { ...upload, method: 'PUT', url: `${URL_BASE}/rooms/!r:x/send/m.room.message/t9` };
      l.send(1, put, bytes);
      runtime.latest().die();
      const second = runtime.latest();
      for (let i = 0; i < 10; i++) second.reply({ type: 'more', id: 1 });
      assert.deepEqual(Buffer.concat(pieces(second, 1)), Buffer.from(bytes));
    });
  });

  describe('keep-alive', () => {
    const pings = (port: FakePort) => port.sent.filter((m) => (m as { type: string }).type === 'ping').length;

    test('pings every 20 s while a request is open, and stops when none is', () => {
      const { link: l } = link();
      l.send(1, sync);
      const port = runtime.latest();
      mock.timers.tick(KEEPALIVE_INTERVAL_MS);
      mock.timers.tick(KEEPALIVE_INTERVAL_MS);
      assert.equal(pings(port), 2);
      port.reply(head(1));
      port.reply({ type: 'end', id: 1 });
      mock.timers.tick(KEEPALIVE_INTERVAL_MS * 3);
      assert.equal(pings(port), 2);
    });

    test('goes on pinging while a body is streaming after its head', () => {
      const { link: l } = link();
      l.send(1, sync);
      const port = runtime.latest();
      port.reply(head(1));
      port.reply(chunk(1, 'slow'));
      mock.timers.tick(KEEPALIVE_INTERVAL_MS);
      mock.timers.tick(KEEPALIVE_INTERVAL_MS);
      assert.equal(pings(port), 2);
      port.reply({ type: 'end', id: 1 });
      mock.timers.tick(KEEPALIVE_INTERVAL_MS);
      mock.timers.tick(KEEPALIVE_INTERVAL_MS);
      assert.equal(pings(port), 2);
    });
  });

  describe('the client channel', () => {
    /** The worker's ends of the channels the link handed to the bridge, with their tokens. */
    function bridged() {
      const handed: { token: string; port: MessagePort; tidied: number }[] = [];
      const replies: BridgeMessage[] = [];
      const l = new BackgroundLink(
        (msg) => replies.push(msg),
        (token, port) => {
          const entry = { token, port, tidied: 0 };
          handed.push(entry);
          return () => entry.tidied++;
        },
      );
      return { l, handed, replies };
    }
    /** The next message on `port`, as the worker's end receives it. */
    const next = (port: MessagePort) =>
      new Promise<unknown>((resolve) => {
        port.onmessage = (evt) => resolve(evt.data);
      });
    /** Lets messages posted on a MessagePort arrive (each is a task of its own). */
    const settled = () => new Promise((resolve) => setImmediate(resolve));
    /** Until `check` holds: a link that lost its channel settles its requests a task later. */
    const until = async (check: () => boolean) => {
      for (let i = 0; i < 100 && !check(); i++) await settled();
      assert.ok(check());
    };
    const opened: MessagePort[] = [];
    afterEach(() => {
      for (const port of opened.splice(0)) port.close();
    });
    /** The link's request 1 went on a port, which offered a channel; the worker's end said it is open. */
    async function open() {
      const { l, handed, replies } = bridged();
      l.send(1, sync);
      const port = runtime.latest();
      port.reply({ type: 'channel', token: 't1' });
      const [offer] = handed;
      assert.ok(offer);
      opened.push(offer.port);
      offer.port.postMessage({ type: 'channel-open' });
      await settled();
      return { l, port, channel: offer.port, handed, replies };
    }

    test('once open, new requests, their bodies and aborts go on it; their answers count only from it', async () => {
      const { l, port, channel, handed, replies } = await open();
      assert.equal(handed[0]!.token, 't1');
      assert.equal(handed[0]!.tidied, 1, 'the bridge is tidied away once the channel is open');
      const arrived = next(channel);
      const big = new Uint8Array(MAX_CHUNK_BYTES + 1);
      l.send(2, { ...send, body: { streamed: big.length } }, big);
      assert.deepEqual(await arrived, {
        type: 'request',
        id: 2,
        request: { ...send, body: { streamed: big.length } },
      });
      assert.deepEqual(
        requestsOn(port).map((m) => m.id),
        [1],
        'the port carried only the request before',
      );
      const received: unknown[] = [];
      channel.onmessage = (evt) => received.push(evt.data);
      l.abort(2);
      await settled();
      assert.deepEqual(
        received.map((m) => (m as { type: string }).type),
        ['body', 'body', 'abort'],
      );
      l.send(3, sync);
      port.reply({ type: 'whole', id: 3, status: 200, headers: {}, bytes: { text: 'from the port' } });
      assert.deepEqual(typesOf(replies, 3), [], 'an answer on the other carrier is dropped');
      channel.postMessage({ type: 'whole', id: 3, status: 200, headers: {}, bytes: { text: '{}' } });
      port.reply({ type: 'whole', id: 1, status: 200, headers: {}, bytes: { text: '{}' } });
      await settled();
      assert.deepEqual(typesOf(replies, 3), ['whole']);
      assert.deepEqual(typesOf(replies, 1), ['whole'], 'the request sent before still answers on the port');
    });

    test('the port keeps the pings, and is touched by requests on the channel when idle a while', async () => {
      const { l, port } = await open();
      const pings = () => port.sent.filter((m) => (m as { type: string }).type === 'ping').length;
      l.send(2, sync);
      assert.equal(pings(), 0, 'the port carried a request a moment ago');
      mock.timers.tick(KEEPALIVE_INTERVAL_MS);
      assert.equal(pings(), 1);
      mock.timers.tick(CHANNEL_TOUCH_MS - 1);
      l.send(3, sync);
      assert.equal(pings(), 1);
      mock.timers.tick(1);
      l.send(4, sync);
      assert.equal(pings(), 2, 'a request after CHANNEL_TOUCH_MS of nothing on the port pings it');
      assert.deepEqual(
        requestsOn(port).map((m) => m.id),
        [1],
      );
    });

    test("the port's death ends the channel: its request goes again on the new port, which may offer another", async () => {
      const { l, port, channel, handed, replies } = await open();
      const arrived = next(channel);
      l.send(2, sync);
      await arrived;
      port.die();
      await until(() => runtime.latest() !== port);
      const again = runtime.latest();
      assert.deepEqual(
        requestsOn(again).map((m) => m.id),
        [1, 2],
      );
      again.reply({ type: 'channel', token: 't2' });
      assert.deepEqual(
        handed.map((h) => h.token),
        ['t1', 't2'],
      );
      opened.push(handed[1]!.port);
      again.reply({ type: 'whole', id: 2, status: 200, headers: {}, bytes: { text: '{}' } });
      assert.deepEqual(typesOf(replies, 2), ['whole']);
    });

    test('an answer the worker posted on the channel before it stopped still counts', async () => {
      const { l, port, channel, replies } = await open();
      const arrived = next(channel);
      l.send(2, createRoom);
      await arrived;
      channel.postMessage({ type: 'whole', id: 2, status: 200, headers: {}, bytes: { text: '{}' } });
      port.die();
      await until(() => typesOf(replies, 2).length > 0);
      assert.deepEqual(typesOf(replies, 2), ['whole'], 'answered, not failed');
      assert.deepEqual(
        requestsOn(runtime.latest()).map((m) => m.id),
        [1],
        'only the unanswered read goes again',
      );
    });

    test('while a request is open the port is never quiet longer than KEEPALIVE_INTERVAL_MS', async () => {
      const { l, port } = await open();
      const pings = () => port.sent.filter((m) => (m as { type: string }).type === 'ping').length;
      // The port's last message was request 1, at 0; it is answered, and none is open.
      port.reply({ type: 'whole', id: 1, status: 200, headers: {}, bytes: { text: '{}' } });
      mock.timers.tick(CHANNEL_TOUCH_MS - 1);
      l.send(2, sync);
      assert.equal(pings(), 0);
      mock.timers.tick(KEEPALIVE_INTERVAL_MS - CHANNEL_TOUCH_MS);
      assert.equal(pings(), 0);
      mock.timers.tick(1);
      assert.equal(
        pings(),
        1,
        'KEEPALIVE_INTERVAL_MS after the last message on the port, not after request 2',
      );
      mock.timers.tick(KEEPALIVE_INTERVAL_MS);
      assert.equal(pings(), 2);
    });

    test('one channel at a time, offered only on the port, and none without a bridge', async () => {
      const { port, channel, handed } = await open();
      port.reply({ type: 'channel', token: 't2' });
      channel.postMessage({ type: 'channel', token: 't3' });
      await settled();
      assert.equal(handed.length, 1);
      const { link: plain } = link();
      plain.send(1, sync);
      runtime.latest().reply({ type: 'channel', token: 't4' });
      plain.send(2, sync);
      assert.deepEqual(
        requestsOn(runtime.latest()).map((m) => m.id),
        [1, 2],
      );
    });

    test('a channel that never opens leaves the requests on the port, and is tidied away with it', () => {
      const { l, handed } = bridged();
      l.send(1, sync);
      const port = runtime.latest();
      port.reply({ type: 'channel', token: 't1' });
      opened.push(handed[0]!.port);
      l.send(2, sync);
      assert.deepEqual(
        requestsOn(port).map((m) => m.id),
        [1, 2],
      );
      assert.equal(handed[0]!.tidied, 0);
      port.die();
      assert.equal(handed[0]!.tidied, 1);
    });
  });
});
