// The node's side of the link, over a fake browser node: starting is
// idempotent for the same identity and settings, only network settings
// restart the node, federation errors travel as values, and the homeserver
// hears of peers and failures through events.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  createNodeService,
  type NodeHost,
  type NodeService,
} from '../../../background/offscreen/node-service.ts';
import { PeerUnreachable } from '../../../src/core/federation/transport.ts';
import { encodeBase64 } from '../../../src/core/protocol/base64.ts';
import type { BrowserNode, BrowserNodeOptions } from '../../../src/platform/libp2p/browser-node.ts';
import { DEFAULT_SETTINGS, type NetworkSettings } from '../../../src/platform/web/network-settings.ts';
import type { NodeEvent } from '../../../src/platform/web/node-wire.ts';

const RELAY = '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWLRPJAA5o6W9sA4uUcjgdLQ8JVYvAhJ9LhJbDJAXS1kbb';
const SEED = encodeBase64(new Uint8Array(32).fill(7));

interface FakeNodes {
  readonly started: BrowserNodeOptions[];
  readonly stopped: number[];
  create(options: BrowserNodeOptions): Promise<BrowserNode>;
}

function fakeNodes(fail = false): FakeNodes {
  const started: BrowserNodeOptions[] = [];
  const stopped: number[] = [];
  return {
    started,
    stopped,
    async create(options) {
      if (fail) throw new Error('no WebRTC here');
      const index = started.push(options) - 1;
      const transport = {
        serverName: 'ab'.repeat(32),
        onRequest: () => {},
        onPeer: () => {},
        peers: () => [],
        multiaddrs: () => [],
        request: async (to: string) => {
          throw new PeerUnreachable(to, 'no-route', 'nobody there');
        },
        addPeer: async () => 'cd'.repeat(32),
        close: async () => void stopped.push(index),
      };
      const libp2p = {
        peerId: { toString: () => '12D3KooWfake' },
        addEventListener: () => {},
        removeEventListener: () => {},
        getConnections: () => [],
      };
      return { transport, libp2p, ping: async () => 1 } as unknown as BrowserNode;
    },
  };
}

const services: NodeService[] = [];
// A running node pings its peers on an interval; closing every service lets the file end.
after(() => Promise.all(services.map((s) => s.close())));

function service(nodes: FakeNodes) {
  const events: NodeEvent[] = [];
  const host: NodeHost = {
    incoming: async () => ({ status: 200, body: { json: {} } }),
    call: async () => {
      throw new Error('this host holds no streams');
    },
    emit: (event) => events.push(event),
  };
  const created = createNodeService({ host, createNode: (o) => nodes.create(o) });
  services.push(created);
  return { events, ...created };
}

const withRelay: NetworkSettings = { ...DEFAULT_SETTINGS, relays: [RELAY] };

describe('the node service', () => {
  test('start twice with the same identity and settings starts one node', async () => {
    const nodes = fakeNodes();
    const { handlers } = service(nodes);
    const [first, second] = await Promise.all([
      handlers.start({ seed: SEED, settings: withRelay }),
      handlers.start({ seed: SEED, settings: withRelay }),
    ]);
    assert.deepEqual(first, second);
    assert.equal(nodes.started.length, 1);
    assert.deepEqual(nodes.started[0]!.relays, [RELAY]);
    assert.deepEqual(nodes.started[0]!.iceServers, [], 'no STUN server unless the user sets one');
  });

  test('new relays or ICE servers restart the node; a new display name does not', async () => {
    const nodes = fakeNodes();
    const { handlers } = service(nodes);
    await handlers.start({ seed: SEED, settings: DEFAULT_SETTINGS });
    await handlers.applySettings({ settings: { ...DEFAULT_SETTINGS, displayName: 'home' } });
    assert.equal(nodes.started.length, 1);
    await handlers.applySettings({ settings: withRelay });
    assert.equal(nodes.started.length, 2);
    assert.deepEqual(nodes.stopped, [0], 'the old node was stopped first');
    const ice = { ...withRelay, iceServers: [{ urls: 'stun:stun.example.org:3478' }] };
    await handlers.applySettings({ settings: ice });
    assert.deepEqual(nodes.started[2]!.iceServers, ice.iceServers);
  });

  test('a failed federation request comes back as a value with its reason', async () => {
    const { handlers } = service(fakeNodes());
    const request = { method: 'GET', path: '/x', origin: 'ab'.repeat(32) };
    const before = await handlers.federate({ to: 'cd'.repeat(32), request });
    assert.deepEqual(before, {
      ok: false,
      name: 'PeerUnreachable',
      reason: 'no-route',
      message: 'The peer-to-peer node is starting.',
    });
    await handlers.start({ seed: SEED, settings: DEFAULT_SETTINGS });
    const after = await handlers.federate({ to: 'cd'.repeat(32), request });
    assert.deepEqual(after, {
      ok: false,
      name: 'PeerUnreachable',
      reason: 'no-route',
      message: 'nobody there',
    });
  });

  test('a node that cannot start is reported in words, and the popup is told why', async () => {
    const { handlers, events } = service(fakeNodes(true));
    await assert.rejects(handlers.start({ seed: SEED, settings: DEFAULT_SETTINGS }));
    const error = events.find((e) => e.type === 'error');
    assert.equal(
      error?.type === 'error' && error.message,
      'The peer-to-peer node could not start: no WebRTC here',
    );
    const snapshot = await handlers.snapshot({});
    assert.equal(snapshot.state, 'unavailable');
    assert.match(snapshot.state === 'unavailable' ? snapshot.reason : '', /could not start/);
  });
});
