// The cap on peers the relays' directories push (discovered-peers.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiscoveredPeers, MAX_DISCOVERED_PEERS } from '../../../src/platform/libp2p/discovered-peers.ts';

test('a relay pushing endless peers makes us hold at most the cap, the least recently pushed evicted', () => {
  const peers = new DiscoveredPeers();
  const evicted: string[] = [];
  for (let i = 0; i < MAX_DISCOVERED_PEERS; i++) evicted.push(...peers.pushed(`peer${i}`));
  assert.equal(evicted.length, 0);
  // peer0 pushed again (a peer that registers anew): it becomes the newest.
  assert.deepEqual(peers.pushed('peer0'), []);
  for (let i = 0; i < 10_000; i++) evicted.push(...peers.pushed(`flood${i}`));
  assert.equal(peers.size, MAX_DISCOVERED_PEERS);
  assert.deepEqual(evicted.slice(0, 3), ['peer1', 'peer2', 'peer3']);
  assert.equal(evicted.length, 10_000);
  assert.ok(peers.has('flood9999'));
  assert.ok(!peers.has('peer0'));
});
