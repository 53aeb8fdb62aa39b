import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryNetwork } from '../../../src/core/federation/memory-transport.ts';
import type { PeerState, PeerTransport } from '../../../src/core/federation/transport.ts';
import { eventually, transportConformance } from './transport-conformance.ts';
import { systemClock } from '../../../src/platform/system-clock.ts';

const names = ['a', 'b', 'c'].map((ch) => ch.repeat(64));

transportConformance({
  name: 'memory',
  network: async (limits) => {
    const network = createMemoryNetwork(systemClock);
    const transports = names.map((name) => network.transport(name, limits)) as [
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
        await Promise.all(transports.map((t) => t.close()));
      },
    };
  },
});

test('a partition is seen from both sides and heals both ways', async () => {
  const network = createMemoryNetwork(systemClock);
  const [a, b] = names.slice(0, 2).map((name) => network.transport(name));
  const seenByB: [string, PeerState][] = [];
  b!.onPeer((name, state) => seenByB.push([name, state]));
  await eventually('b sees a', () => seenByB.length === 1);
  network.disconnect(a!.serverName);
  await eventually('b sees a go down', () => seenByB.length === 2);
  assert.deepEqual(b!.peers(), []);
  await assert.rejects(b!.request(a!.serverName, { method: 'GET', path: '/', origin: b!.serverName }), {
    name: 'PeerUnreachable',
    reason: 'no-route',
  });
  network.reconnect(a!.serverName);
  await eventually('b sees a again', () => seenByB.length === 3);
  assert.deepEqual(seenByB, [
    [a!.serverName, 'up'],
    [a!.serverName, 'down'],
    [a!.serverName, 'up'],
  ]);
});
