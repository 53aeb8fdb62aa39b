// The background's proxy transport passes the PeerTransport conformance
// suite: each of three servers is an OffscreenPeerTransport whose "node" sits
// behind a JSON-serialising fake runtime port (as Chrome's ports are) and
// federates over the in-memory network. What is under test is the proxy and
// the link: the codecs, the correlation of requests, incoming requests
// served by the homeserver side, and peers reported through events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeLink, NodeLinkHost } from '../../../background/worker/node-link-api.ts';
import { OffscreenPeerTransport } from '../../../background/worker/offscreen-peer-transport.ts';
import { createMemoryNetwork } from '../../../src/core/federation/memory-transport.ts';
import type { PeerTransport } from '../../../src/core/federation/transport.ts';
import {
  decodeStreamingResponse,
  encodeFederationRequest,
  federateThrough,
  type HostRequests,
  type NodeEvent,
  type NodeRequests,
} from '../../../src/platform/web/node-wire.ts';
import { PortRpc } from '../../../src/platform/web/port-rpc.ts';
import { linkReader, StreamHolder } from '../../../src/platform/web/link-streams.ts';
import { eventually, transportConformance } from '../../core/federation/transport-conformance.ts';
import { fakePortPair } from '../../support/fake-port.ts';
import { systemClock } from '../../../src/platform/system-clock.ts';

const unsupported = async (): Promise<never> => {
  throw new Error('not part of this fake node');
};

/** A "node" that federates through `inner` and talks to the background over a fake port; the link to it. */
function linkedNode(inner: PeerTransport): { link: NodeLink; cut(): void } {
  const [nodeEnd, hostEnd] = fakePortPair('p2pm-node');
  const streams = new StreamHolder();
  const node = new PortRpc<NodeRequests, HostRequests, NodeEvent>(nodeEnd, {
    handlers: {
      ...streams.handlers,
      start: unsupported,
      snapshot: unsupported,
      dial: unsupported,
      reconnect: unsupported,
      applySettings: unsupported,
      connections: unsupported,
      trace: unsupported,
      turnCredentials: unsupported,
      status: async () => ({ node: { serverName: inner.serverName, multiaddrs: [] }, peers: inner.peers() }),
      federate: (params) => federateThrough(inner, params, streams),
    },
  });
  inner.onRequest(async (from, req) => {
    const answer = await node.call('incoming', { from, request: encodeFederationRequest(req) });
    return decodeStreamingResponse(
      answer,
      linkReader((type, params, ms) => node.call(type, params, ms), 10_000),
    );
  });
  inner.onPeer((serverName, state) => node.emit({ type: 'peer', serverName, state }));

  let host: PortRpc<HostRequests, NodeRequests, NodeEvent> | undefined;
  const link: NodeLink = {
    call: (type, params, timeoutMs) => host!.call(type, params, timeoutMs),
    serve(served: NodeLinkHost) {
      host = new PortRpc(hostEnd, { handlers: served.handlers, onEvent: (e) => served.onEvent(e) });
      served.onConnected();
    },
    accept: () => {},
  };
  return { link, cut: () => node.close() };
}

/** The background side as network-node.ts wires it; `incoming` is told of each request the node hands over. */
function proxy(
  inner: PeerTransport,
  incoming: () => void = () => {},
): { transport: OffscreenPeerTransport; cut(): void } {
  const { link, cut } = linkedNode(inner);
  const transport = new OffscreenPeerTransport(inner.serverName, link);
  link.serve({
    handlers: {
      incoming: (params) => {
        incoming();
        return transport.serveIncoming(params);
      },
      ...transport.streamHandlers,
    },
    onEvent: (event) => {
      if (event.type === 'peer') transport.peerChanged(event.serverName, event.state);
    },
    onConnected: () => void link.call('status', {}).then((s) => transport.syncPeers(s.peers)),
    onDisconnected: () => transport.syncPeers([]),
  });
  return { transport, cut };
}

const names = ['a', 'b', 'c'].map((ch) => ch.repeat(64));

transportConformance({
  name: 'offscreen proxy over a runtime port',
  network: async (limits) => {
    const network = createMemoryNetwork(systemClock);
    const inner = names.map((name) => network.transport(name, limits));
    const transports = inner.map((t): PeerTransport => proxy(t).transport) as [
      PeerTransport,
      PeerTransport,
      PeerTransport,
    ];
    return {
      transports,
      takeDown: async (name) => network.disconnect(name),
      bringBack: async (name) => {
        network.reconnect(name);
        return transports.find((t) => t.serverName === name)!;
      },
      close: async () => {
        await Promise.all([...transports, ...inner].map((t) => t.close()));
      },
    };
  },
});

test('an incoming request waits for the homeserver to set its handler', async () => {
  const network = createMemoryNetwork(systemClock);
  const [a, b] = names.slice(0, 2).map((name) => network.transport(name));
  const arrived = Promise.withResolvers<void>();
  const { transport: proxied } = proxy(b!, arrived.resolve);
  const answer = a!.request(b!.serverName, { method: 'GET', path: '/later', origin: a!.serverName });
  await arrived.promise; // the request reached the background before it had a handler
  proxied.onRequest(async (from, req) => ({ status: 200, body: { from, path: req.path } }));
  assert.deepEqual(await answer, { status: 200, body: { from: a!.serverName, path: '/later' } });
});

test('a request in flight when the node goes away fails as PeerUnreachable, not a hang', async () => {
  const network = createMemoryNetwork(systemClock);
  const [a, b] = names.slice(0, 2).map((name) => network.transport(name));
  b!.onRequest(() => new Promise(() => {}));
  const { transport, cut } = proxy(a!);
  await eventually('a sees b', () => transport.peers().includes(b!.serverName));
  const pending = transport.request(b!.serverName, { method: 'GET', path: '/hang', origin: a!.serverName });
  cut();
  await assert.rejects(pending, { name: 'PeerUnreachable', reason: 'broken' });
});
