// The worker's end of the content scripts' ports and client channels
// (client-ports.ts, client-wire.ts): a port from an approved page is offered
// a channel token; a MessagePort that brings that token is paired with the
// port, once, and the requests that come on it are answered on it; any other
// token, a token used twice, or a port of an unapproved page gets nothing.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { Homeserver } from '../../src/core/public.ts';
import { silentLogger } from '../../src/core/ports.ts';
import {
  CLIENT_CHANNEL_TYPE,
  CLIENT_PORT_NAME,
  type WireRequest,
} from '../../src/platform/web/client-wire.ts';
import { fakePortPair } from '../support/fake-port.ts';

const EXTENSION = 'abcdefghijklmnopabcdefghijklmnop';
Object.assign(globalThis, { chrome: { runtime: { id: EXTENSION } } });
const { createClientPorts, MAX_OFFERED } = await import('../../background/worker/client-ports.ts');
const { createClientStats } = await import('../../background/worker/client-stats.ts');

const APPROVED = 'https://app.example';
const versions: WireRequest = {
  method: 'GET',
  url: 'https://p2p-matrix.invalid/_matrix/client/versions',
  headers: {},
  body: null,
};

const ends: MessagePort[] = [];
afterEach(() => {
  for (const port of ends.splice(0)) port.close();
});

function worker() {
  let accept: ((offer: unknown, port: MessagePort) => void) | undefined;
  const stats = createClientStats();
  const homeserver = {
    handle: async (req: { path: string }) => ({ status: 200, headers: {}, body: { path: req.path } }),
  } as unknown as Homeserver;
  let tokens = 0;
  const ports = createClientPorts({
    homeserver: Promise.resolve(homeserver),
    isApproved: async (origin) => origin === APPROVED,
    stats,
    logger: silentLogger,
    channels: {
      listen: (listener) => {
        accept = listener;
      },
    },
    newToken: () => `token-${++tokens}`,
  });
  /** A content script's runtime port from `origin`: the worker's end is accepted; the script's end is returned. */
  const connect = (origin = APPROVED) => {
    const [script, background] = fakePortPair(CLIENT_PORT_NAME);
    const sender = { id: EXTENSION, tab: { id: 1 }, frameId: 0, origin };
    ports.accept(Object.assign(background, { sender }) as unknown as chrome.runtime.Port);
    const received: unknown[] = [];
    script.onMessage.addListener((msg) => received.push(msg));
    return { script, received };
  };
  /** A channel the bridge page posts with `token`: the worker's end goes to the worker, the script's is returned. */
  const bridge = (token: string) => {
    const { port1, port2 } = new MessageChannel();
    ends.push(port1, port2);
    const received: unknown[] = [];
    let closed = false;
    port1.onmessage = (evt) => received.push(evt.data);
    port1.addEventListener('close', () => {
      closed = true;
    });
    accept!({ type: CLIENT_CHANNEL_TYPE, token }, port2);
    return { port: port1, received, closed: () => closed };
  };
  return { stats, connect, bridge, closeOrigin: (origin: string) => ports.closeOrigin(origin) };
}

/** Until `check` holds (messages cross the fakes and MessagePorts in tasks of their own). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.ok(check(), 'never happened');
}

test('an approved port is offered a token; the channel that brings it is paired and answers on itself', async () => {
  const w = worker();
  const { script, received } = w.connect();
  await until(() => received.length > 0);
  assert.deepEqual([...received], [{ type: 'channel', token: 'token-1' }]);
  const channel = w.bridge('token-1');
  await until(() => channel.received.length > 0);
  assert.deepEqual(channel.received, [{ type: 'channel-open' }]);
  assert.equal(w.stats.channels, 1);
  channel.port.postMessage({ type: 'request', id: 7, request: versions });
  await until(() => channel.received.length > 1);
  const answer = channel.received[1] as { type: string; id: number; bytes: { text: string } };
  assert.equal(answer.type, 'whole');
  assert.equal(answer.id, 7);
  assert.deepEqual(JSON.parse(answer.bytes.text), { path: '/_matrix/client/versions' });
  // The port still answers what comes on it, on itself.
  script.postMessage({ type: 'request', id: 8, request: versions });
  await until(() => received.length > 1);
  assert.equal((received[1] as { id: number }).id, 8);
  assert.equal(channel.received.length, 2);
});

test('a token no port was offered, or one used already, pairs nothing: the channel is closed', async () => {
  const w = worker();
  const { received } = w.connect();
  await until(() => received.length > 0);
  const guessed = w.bridge('token-2');
  const first = w.bridge('token-1');
  const again = w.bridge('token-1');
  await until(() => guessed.closed() && again.closed() && first.received.length > 0);
  assert.deepEqual(guessed.received, []);
  assert.deepEqual(again.received, []);
  assert.equal(w.stats.channels, 1);
});

test('a port of a page that is not approved is offered nothing', async () => {
  const w = worker();
  const { script, received } = w.connect('https://elsewhere.example');
  script.postMessage({ type: 'request', id: 1, request: versions });
  await until(() => w.stats.rejected > 0);
  assert.deepEqual(received, []);
});

test('a request for another URL than the homeserver is answered 500 M_UNKNOWN, and the port goes on', async () => {
  const w = worker();
  const { script, received } = w.connect();
  await until(() => received.length > 0);
  script.postMessage({ type: 'request', id: 1, request: { ...versions, url: 'https://elsewhere.example/' } });
  script.postMessage({ type: 'request', id: 2, request: { ...versions, url: 'https://elsewhere.example/' } });
  await until(() => received.length > 2);
  const answers = received.slice(1) as { id: number; status: number; bytes: { text: string } }[];
  for (const [i, answer] of answers.entries()) {
    assert.equal(answer.id, i + 1);
    assert.equal(answer.status, 500);
    assert.deepEqual(JSON.parse(answer.bytes.text), { errcode: 'M_UNKNOWN', error: 'Internal server error' });
  }
  script.postMessage({ type: 'request', id: 3, request: versions });
  await until(() => received.length > 3);
  assert.equal((received[3] as { status: number }).status, 200);
});

test('a port that goes away closes its channel, and its token pairs nothing after', async () => {
  const w = worker();
  const { script, received } = w.connect();
  await until(() => received.length > 0);
  const channel = w.bridge('token-1');
  await until(() => channel.received.length > 0);
  script.disconnect();
  await until(() => channel.closed());
  // A port gone before its channel came: its token is void.
  const late = w.connect();
  await until(() => late.received.length > 0);
  assert.deepEqual(late.received, [{ type: 'channel', token: 'token-2' }]);
  late.script.disconnect();
  await until(() => w.stats.open === 0);
  const unpaired = w.bridge('token-2');
  await until(() => unpaired.closed());
  assert.deepEqual(unpaired.received, []);
});

test("revoking the page's origin closes its port and its channel", async () => {
  const w = worker();
  const { received } = w.connect();
  await until(() => received.length > 0);
  const channel = w.bridge('token-1');
  await until(() => channel.received.length > 0);
  w.closeOrigin(APPROVED);
  await until(() => channel.closed());
  assert.equal(w.stats.open, 0);
});

test('at most MAX_OFFERED ports wait for their channel: the oldest offer is void past that', async () => {
  const w = worker();
  const scripts = Array.from({ length: MAX_OFFERED + 1 }, () => w.connect());
  await until(() => scripts.every((s) => s.received.length > 0));
  const oldest = w.bridge('token-1');
  const newest = w.bridge(`token-${MAX_OFFERED + 1}`);
  await until(() => oldest.closed() && newest.received.length > 0);
  assert.deepEqual(oldest.received, []);
  for (const { script } of scripts) script.disconnect();
});
