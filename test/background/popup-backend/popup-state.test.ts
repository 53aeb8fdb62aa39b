// The state pushed to the popup over its port: on connect, after changes,
// never to a sender that is not the extension's own page.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createErrorLog } from '../../../background/popup-backend/error-log.ts';
import { memoryArea } from '../../../background/worker/key-value-area.ts';
import { unavailableNetwork } from '../../../background/worker/network-view.ts';
import {
  createPopupStateHub,
  type PopupPort,
  type PopupStateDeps,
} from '../../../background/popup-backend/popup-state.ts';
import { DEFAULT_SETTINGS } from '../../../src/platform/web/network-settings.ts';
import {
  type NetworkState,
  POPUP_PORT_NAME,
  type PopupState,
  type PopupStateMessage,
} from '../../../src/platform/web/popup-messages.ts';

const POPUP = { url: 'chrome-extension://ext/popup.html' };

function fakePort(name = POPUP_PORT_NAME, sender: unknown = POPUP) {
  const received: PopupState[] = [];
  const onDisconnect: (() => void)[] = [];
  let disconnected = false;
  let wake: () => void = () => {};
  const port: PopupPort & {
    received: PopupState[];
    close(): void;
    readonly disconnected: boolean;
    next(): Promise<PopupState>;
  } = {
    name,
    sender,
    received,
    get disconnected() {
      return disconnected;
    },
    postMessage(message: PopupStateMessage) {
      received.push(message.state);
      wake();
    },
    disconnect() {
      disconnected = true;
    },
    onDisconnect: { addListener: (l) => void onDisconnect.push(l) },
    close: () => {
      for (const listener of onDisconnect) listener();
    },
    next: () =>
      new Promise((resolve) => {
        const count = received.length;
        wake = () => received.length > count && resolve(received.at(-1)!);
      }),
  };
  return port;
}

function deps(change: Partial<PopupStateDeps> = {}) {
  const origins: string[] = [];
  let notify: () => void = () => {};
  let network: NetworkState = { state: 'online', peers: [], relays: [] };
  const base: PopupStateDeps = {
    homeserver: Promise.resolve({ serverName: 'ab12' }),
    homeserverUrl: 'https://p2p-matrix.invalid',
    account: { state: async () => ({ state: 'none' }) },
    network: {
      snapshot: async () => network,
      subscribe: (listener) => {
        notify = listener;
        return () => {};
      },
    },
    origins: async () => [...origins],
    accountCreation: async () => [],
    settings: async () => DEFAULT_SETTINGS,
    errors: createErrorLog(memoryArea(), () => 5),
    isPopupSender: (sender) => sender === POPUP,
    ...change,
  };
  return {
    base,
    origins,
    setNetwork(next: NetworkState) {
      network = next;
      notify();
    },
  };
}

/** A popup connected to `hub`, once it has its first state. */
async function connectedPopup(hub: ReturnType<typeof createPopupStateHub>) {
  const port = fakePort();
  const first = port.next();
  hub.accept(port);
  await first;
  return port;
}

describe('the popup state hub', () => {
  test('a popup that connects gets the whole state at once', async () => {
    const { base } = deps();
    const hub = createPopupStateHub(base);
    const port = fakePort();
    const first = port.next();
    hub.accept(port);
    assert.deepEqual(await first, {
      homeserver: { state: 'ready', serverName: 'ab12', url: 'https://p2p-matrix.invalid' },
      account: { state: 'none' },
      network: { state: 'online', peers: [], relays: [] },
      origins: [],
      accountCreation: [],
      settings: DEFAULT_SETTINGS,
      lastError: null,
    });
  });

  test("the node's changes are pushed without being asked", async () => {
    const setup = deps();
    const hub = createPopupStateHub(setup.base);
    const port = await connectedPopup(hub);
    const peer = { peerId: 'p', serverName: 'cd34', kind: 'webrtc', rttMs: 1, since: 0 } as const;
    setup.setNetwork({ state: 'online', peers: [peer], relays: [] });
    // Earlier snapshots may still be on their way; the newest one carries the peer.
    while (port.received.at(-1)?.network.peers.length !== 1) await port.next();
    assert.deepEqual(port.received.at(-1)?.network.peers, [peer]);
  });

  test('changes that arrive together become one snapshot more, not one each', async () => {
    const setup = deps();
    const hub = createPopupStateHub(setup.base);
    const port = await connectedPopup(hub);
    setup.origins.push('https://a.example');
    hub.changed();
    hub.changed();
    hub.changed();
    await hub.settled();
    assert.ok(port.received.length <= 3, `${port.received.length} snapshots`);
    assert.deepEqual(port.received.at(-1)?.origins, ['https://a.example']);
  });

  test('a port of another name is left alone; a sender that is not the popup is disconnected', async () => {
    const hub = createPopupStateHub(deps().base);
    const other = fakePort('p2pm-client');
    hub.accept(other);
    const page = fakePort(POPUP_PORT_NAME, { url: 'https://evil.example/', tab: {} });
    hub.accept(page);
    await hub.settled();
    assert.equal(other.disconnected, false);
    assert.equal(page.disconnected, true);
    assert.deepEqual([other.received, page.received], [[], []]);
  });

  test('a closed popup gets nothing more', async () => {
    const hub = createPopupStateHub(deps().base);
    const port = await connectedPopup(hub);
    port.close();
    hub.changed();
    await hub.settled();
    assert.equal(port.received.length, 1);
  });

  test('a homeserver that fails to start is shown as failed, with the reason as the last error', async () => {
    const failing = Promise.reject(new Error('the database is newer than this version'));
    const log = createErrorLog(memoryArea(), () => 5);
    const recorded = Promise.withResolvers<void>();
    const errors = { ...log, record: (message: string) => log.record(message).then(recorded.resolve) };
    const { base } = deps({ homeserver: failing, network: unavailableNetwork(), errors });
    const hub = createPopupStateHub(base);
    await recorded.promise;
    const state = await hub.snapshot();
    assert.deepEqual(state.homeserver, { state: 'failed', error: 'the database is newer than this version' });
    assert.deepEqual(state.lastError, {
      message: 'The homeserver could not start: the database is newer than this version',
      at: 5,
    });
    assert.deepEqual(state.network.peers, []);
  });
});
