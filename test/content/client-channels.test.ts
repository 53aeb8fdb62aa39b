// Chrome's client channel arrivals (client-channels.ts): the service worker's
// `message` events carry the bridge page's offers, each with its port; only
// those whose source is the extension's bridge page reach client-ports, with
// their first port, and any other port they bring is closed. The offscreen
// document's offers come on the same event and are left to its own listener.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLIENT_CHANNEL_TYPE } from '../../src/platform/web/client-wire.ts';

const ORIGIN = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';
const workerScope = new EventTarget();
Object.assign(globalThis, {
  location: { origin: ORIGIN },
  addEventListener: workerScope.addEventListener.bind(workerScope),
});
const { clientChannelOffers } = await import('../../background/worker/client-channels.ts');

/** A service worker message event as the browser dispatches it. */
function message(url: string | undefined, ports: MessagePort[], data: unknown = {}) {
  const evt = Object.assign(new Event('message'), {
    data,
    ports,
    source: url === undefined ? null : { url },
  });
  workerScope.dispatchEvent(evt);
}

/** Whether `port`'s other end was closed (a MessagePort says so on its partner). */
const closing = (port: MessagePort) =>
  new Promise<void>((resolve) => port.addEventListener('close', () => resolve()));

test("only the bridge page's offers arrive, with their first port; any other port it sent is closed", async () => {
  const arrived: unknown[] = [];
  clientChannelOffers().listen((offer, port) => {
    arrived.push(offer);
    (port as unknown as MessagePort).close();
  });
  const offer = { type: CLIENT_CHANNEL_TYPE, token: 't' };
  const first = new MessageChannel();
  const extra = new MessageChannel();
  const extraClosed = closing(extra.port1);
  message(`${ORIGIN}/client-bridge.html`, [first.port2, extra.port2], offer);
  await extraClosed;
  assert.deepEqual(arrived, [offer]);
  // The offscreen document's, another page of the extension's, or one with no source: not ours.
  const others = [
    `${ORIGIN}/offscreen.html`,
    `${ORIGIN}/popup.html`,
    'https://app.example/client-bridge.html',
    undefined,
  ];
  const channels = others.map((url) => {
    const channel = new MessageChannel();
    message(url, [channel.port2], offer);
    return channel;
  });
  assert.equal(arrived.length, 1);
  for (const channel of [first, extra, ...channels]) {
    channel.port1.close();
    channel.port2.close();
  }
});
