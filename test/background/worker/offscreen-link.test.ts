// The worker's end of Chrome's link to the offscreen document
// (offscreen-link.ts): only the offscreen document's runtime port and
// MessagePort are taken, and a MessagePort pairs with the port that named it
// by its token, whichever of the two arrives first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeLink } from '../../../background/worker/node-link-api.ts';
import {
  type ChannelOfferEvent,
  MAX_OFFERS,
  offscreenLink,
} from '../../../background/worker/offscreen-link.ts';
import { silentLogger } from '../../../src/core/ports.ts';
import {
  type HostRequests,
  NODE_CHANNEL,
  NODE_PORT_NAME,
  type NodeEvent,
  type NodeRequests,
} from '../../../src/platform/web/node-wire.ts';
import { PortRpc, type RpcChannel, type RpcHandlers } from '../../../src/platform/web/port-rpc.ts';
import { VERIFIER_CHANNEL } from '../../../src/platform/web/verifier-wire.ts';
import { type FakePort, fakePortPair } from '../../support/fake-port.ts';

const EXTENSION = 'abcdefghijklmnopabcdefghijklmnop';
const OFFSCREEN_URL = `chrome-extension://${EXTENSION}/offscreen.html`;
const POPUP_URL = `chrome-extension://${EXTENSION}/popup.html`;

/** The worker's link, and how a client posts it a MessagePort (the service worker's `message` event). */
function worker(onVerifierPort?: (port: RpcChannel) => void) {
  let listener: ((evt: ChannelOfferEvent) => void) | undefined;
  const link = offscreenLink(
    { logger: silentLogger, reportError: () => {}, ...(onVerifierPort && { onVerifierPort }) },
    {
      document: { ensure: async () => {} },
      extensionId: EXTENSION,
      offscreenUrl: OFFSCREEN_URL,
      onChannelOffer: (l) => {
        listener = l;
      },
    },
  );
  const offer = (token: string, port: RpcChannel, url: string | null = OFFSCREEN_URL) =>
    listener!({
      data: { kind: NODE_CHANNEL, token },
      ports: [port],
      source: url === null ? null : { url },
    });
  const offerVerifier = (port: RpcChannel, url: string | null = OFFSCREEN_URL) =>
    listener!({ data: { kind: VERIFIER_CHANNEL }, ports: [port], source: url === null ? null : { url } });
  return { link, offer, offerVerifier };
}

/**
 * The offscreen document as offscreen.ts connects: a runtime port that names
 * its channel by `token`, and the channel's other end (`offered`), which the
 * test posts to the worker when it chooses. `heard` settles once the worker
 * spoke on the channel: it paired it.
 */
function offscreenDocument(link: NodeLink, token: string) {
  const [nodeEnd, workerEnd] = fakePortPair(NODE_PORT_NAME);
  const node = new PortRpc<NodeRequests, HostRequests, NodeEvent>(nodeEnd, {
    handlers: { status: async () => ({ node: null, peers: [] }) } as Partial<
      RpcHandlers<NodeRequests>
    > as RpcHandlers<NodeRequests>,
  });
  const { port1, port2 } = new MessageChannel();
  const nodePort = port1 as unknown as RpcChannel;
  const heard = Promise.withResolvers<void>();
  node.attach(
    {
      postMessage: (message) => nodePort.postMessage(message),
      close: () => nodePort.close(),
      set onmessage(handler: ((evt: MessageEvent) => void) | null) {
        nodePort.onmessage = (evt) => {
          heard.resolve();
          handler?.(evt);
        };
      },
      get onmessage() {
        return null;
      },
    },
    false,
  );
  link.accept({ ...workerEnd, sender: { id: EXTENSION, url: OFFSCREEN_URL } });
  nodeEnd.postMessage({ kind: NODE_CHANNEL, token });
  return { node, workerEnd, offered: port2 as unknown as RpcChannel, heard: heard.promise };
}

/** A MessagePort offered to the worker that nobody listens on: what the worker did with it. */
function strayPort(): RpcChannel & { closed: boolean; posted: unknown[] } {
  return {
    closed: false,
    posted: [],
    onmessage: null,
    postMessage(message) {
      this.posted.push(message);
    },
    close() {
      this.closed = true;
    },
  };
}

/** A call from the worker to the node: answered, and on which carrier it went. */
async function carrierOfCall(link: NodeLink, workerEnd: FakePort): Promise<'port' | 'channel'> {
  const before = workerEnd.posted.length;
  assert.deepEqual(await link.call('status', {}), { node: null, peers: [] });
  return workerEnd.posted.length > before ? 'port' : 'channel';
}

test("a MessagePort offered by another page than the offscreen document (the popup) is closed, even under the port's own token", async () => {
  const { link, offer } = worker();
  const doc = offscreenDocument(link, 'token-a');
  assert.equal(await carrierOfCall(link, doc.workerEnd), 'port', 'the port named its channel meanwhile');
  const fromPopup = strayPort();
  offer('token-a', fromPopup, POPUP_URL);
  const fromNowhere = strayPort();
  offer('token-a', fromNowhere, null);
  assert.deepEqual([fromPopup.closed, fromNowhere.closed], [true, true]);
  assert.deepEqual([fromPopup.posted, fromNowhere.posted], [[], []], 'the worker never spoke on them');
  assert.equal(await carrierOfCall(link, doc.workerEnd), 'port');
  doc.node.close();
});

test('a verifier port offered by another page than the offscreen document is closed; its own goes to the verifier link', () => {
  const taken: RpcChannel[] = [];
  const { offerVerifier } = worker((port) => taken.push(port));
  const fromPopup = strayPort();
  const fromNowhere = strayPort();
  offerVerifier(fromPopup, POPUP_URL);
  offerVerifier(fromNowhere, null);
  assert.deepEqual([fromPopup.closed, fromNowhere.closed], [true, true]);
  assert.equal(taken.length, 0);
  const fromDocument = strayPort();
  offerVerifier(fromDocument);
  assert.deepEqual(taken, [fromDocument]);
  assert.equal(fromDocument.closed, false);
});

test('a verifier port is closed when nothing takes it (no verifier link)', () => {
  const { offerVerifier } = worker();
  const port = strayPort();
  offerVerifier(port);
  assert.ok(port.closed);
});

test('a runtime port from another page than the offscreen document is disconnected', async () => {
  const { link } = worker();
  const [popupEnd, workerEnd] = fakePortPair(NODE_PORT_NAME);
  const gone = Promise.withResolvers<void>();
  popupEnd.onDisconnect.addListener(() => gone.resolve());
  link.accept({ ...workerEnd, sender: { id: EXTENSION, url: POPUP_URL } });
  await gone.promise;
  assert.throws(() => popupEnd.postMessage('anything'), /disconnected/);
});

test("the offscreen document's MessagePort pairs with its port whether it arrives before the port names it or after", async () => {
  const { link, offer } = worker();
  // Before: offered at once, while the token is still on its way on the port.
  const first = offscreenDocument(link, 'token-a');
  offer('token-a', first.offered);
  await first.heard;
  assert.equal(await carrierOfCall(link, first.workerEnd), 'channel');
  assert.deepEqual(first.workerEnd.posted, [], 'nothing went on the port');

  // After: the document connects again (a new port replaces the old), its token is known first.
  const second = offscreenDocument(link, 'token-b');
  assert.equal(await carrierOfCall(link, second.workerEnd), 'port', 'the token came before this reply');
  offer('token-b', second.offered);
  await second.heard;
  assert.equal(await carrierOfCall(link, second.workerEnd), 'channel');
  second.node.close();
});

test('a token an old runtime port named does not pair with the port after it', async () => {
  const { link, offer } = worker();
  const old = offscreenDocument(link, 'token-old');
  offer('token-old', old.offered);
  await old.heard;

  const current = offscreenDocument(link, 'token-new');
  const early = strayPort();
  offer('token-old', early);
  assert.equal(await carrierOfCall(link, current.workerEnd), 'port');
  const late = strayPort();
  offer('token-old', late);
  assert.equal(await carrierOfCall(link, current.workerEnd), 'port');
  assert.deepEqual([early.posted, late.posted], [[], []], 'neither was paired');

  offer('token-new', current.offered);
  await current.heard;
  assert.equal(await carrierOfCall(link, current.workerEnd), 'channel');
  current.node.close();
});

test(`offers no port named are kept at most ${MAX_OFFERS}: a fifth closes the oldest, the others still pair`, async () => {
  const { link, offer } = worker();
  const leftovers = Array.from({ length: MAX_OFFERS }, () => strayPort());
  for (const [i, port] of leftovers.entries()) offer(`leftover-${i}`, port);
  assert.ok(leftovers.every((port) => !port.closed));

  const doc = offscreenDocument(link, 'token-a');
  offer('token-a', doc.offered);
  assert.deepEqual(
    leftovers.map((port) => port.closed),
    leftovers.map((_, i) => i === 0),
    'the fifth offer closed the oldest',
  );
  await doc.heard;
  assert.equal(await carrierOfCall(link, doc.workerEnd), 'channel', 'an offer kept pairs');
  doc.node.close();
});
