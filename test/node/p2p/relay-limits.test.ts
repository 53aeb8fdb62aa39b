// The relay's per-host limits (issue 12, finding 7: one host took the relay's
// 512 connections in about 21 s with fresh identities). Identities are free,
// so the relay counts per host: connections, reservations and directory
// members (src/node/p2p/hosts.ts). Here every peer is on 127.0.0.1, so the
// relay is started with small per-host limits and fresh libp2p nodes, each a
// new identity, try to go past them.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { identify } from '@libp2p/identify';
import { noise } from '@libp2p/noise';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import type { Libp2p } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { type Relay, startRelay } from '../../../src/node/relay.ts';
import { DIRECTORY_PROTOCOL, encodeDirectoryMessage } from '../../../src/platform/libp2p/directory-wire.ts';

describe('relay limits per host', () => {
  const relays: Relay[] = [];
  const nodes: Libp2p[] = [];
  const freshNode = async () => {
    const node = await createLibp2p({
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: { denyDialMultiaddr: () => false },
    });
    nodes.push(node);
    return node;
  };

  const relayWith = async (limits: Parameters<typeof startRelay>[0]) => {
    const relay = await startRelay(limits);
    relays.push(relay);
    return relay;
  };
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all(relays.map((r) => r.stop()));
  });

  test('one host holds at most maxConnectionsPerHost connections, whatever identities it uses', async () => {
    const relay = await relayWith({ limits: { maxConnectionsPerHost: 3 } });
    const addr = multiaddr(relay.multiaddrs[0]!);
    for (let i = 0; i < 3; i++) await (await freshNode()).dial(addr);
    await assert.rejects((await freshNode()).dial(addr));
    // A connection given up makes room for the next.
    await nodes[0]!.stop();
    await waitUntil(async () => {
      try {
        await (await freshNode()).dial(addr);
        return true;
      } catch {
        return false;
      }
    });
  });

  test('one host holds at most maxReservationsPerHost reservations, whatever identities it uses', {
    timeout: 60_000,
  }, async () => {
    const relay = await relayWith({ limits: { maxReservationsPerHost: 2 } });
    const circuit = `${relay.multiaddrs[0]!}/p2p-circuit`;
    /** A fresh identity that listens through the relay: it asks for a reservation as it starts. */
    const reserving = async () => {
      const node = await createLibp2p({
        addresses: { listen: [circuit] },
        transports: [webSockets(), circuitRelayTransport()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        connectionGater: { denyDialMultiaddr: () => false },
        services: { identify: identify() },
      });
      nodes.push(node);
      return node;
    };
    const held: Libp2p[] = [];
    for (let i = 0; i < 2; i++) {
      const node = await reserving();
      held.push(node);
      await waitUntil(async () => relay.reservations().includes(node.peerId.toString()));
    }
    // The third is refused (its listening through the relay fails with the relay's answer).
    await assert.rejects(reserving(), /PERMISSION_DENIED/);
    assert.deepEqual(new Set(relay.reservations()), new Set(held.map((node) => node.peerId.toString())));
    // A host's reservations count while their holders are connected: one gone makes room for the next.
    await held[0]!.stop();
    await waitUntil(async () => {
      const next = await reserving().catch(() => undefined);
      return next !== undefined && relay.reservations().includes(next.peerId.toString());
    });
  });

  test('the directory holds at most maxDirectoryMembersPerHost members from one host', {
    timeout: 60_000,
  }, async () => {
    const relay = await relayWith({ limits: { maxDirectoryMembersPerHost: 2 } });
    const addr = multiaddr(relay.multiaddrs[0]!);
    const members: Libp2p[] = [];
    for (let i = 0; i < 2; i++) {
      const node = await freshNode();
      const stream = await node.dialProtocol(addr, DIRECTORY_PROTOCOL);
      stream.send(encodeDirectoryMessage({ type: 'register', addrs: [] }));
      members.push(node);
      await waitUntil(async () => relay.directoryMembers().includes(node.peerId.toString()));
    }
    // The third is refused: the relay resets its stream (during negotiation, or once open).
    const third = await freshNode();
    await (async () => {
      const stream = await third.dialProtocol(addr, DIRECTORY_PROTOCOL);
      const closed = new Promise<void>((resolve) =>
        stream.addEventListener('close', () => resolve(), { once: true }),
      );
      stream.send(encodeDirectoryMessage({ type: 'register', addrs: [] }));
      if (stream.status === 'open') await closed;
    })().catch(() => {});
    assert.deepEqual(
      new Set(relay.directoryMembers()),
      new Set(members.map((node) => node.peerId.toString())),
    );
  });
});

/** Retries `check` until it holds: the relay learns of a closed connection or a registration on its own time. */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('hang guard');
    await new Promise((r) => setTimeout(r, 50));
  }
}
