import assert from 'node:assert/strict';
import { test } from 'node:test';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import {
  peerIdToServerName,
  privateKeyFromSeed,
  serverNameToPeerId,
} from '../../../src/platform/libp2p/identity.ts';

test('the server name is the hex of the Ed25519 public key of the seed, and maps to the same PeerId', async () => {
  const key = await privateKeyFromSeed(new Uint8Array(32).fill(7));
  const peerId = peerIdFromPrivateKey(key);
  const name = peerIdToServerName(peerId)!;
  assert.equal(name, Buffer.from(key.publicKey.raw).toString('hex'));
  assert.match(name, /^[0-9a-f]{64}$/);
  assert.ok(serverNameToPeerId(name)!.equals(peerId));
});

test('strings that are not server names have no PeerId', () => {
  assert.equal(serverNameToPeerId('example.org'), undefined);
  assert.equal(serverNameToPeerId('A'.repeat(64)), undefined);
  assert.equal(serverNameToPeerId('a'.repeat(63)), undefined);
});

test('a seed must be 32 bytes', () => {
  assert.throws(() => privateKeyFromSeed(new Uint8Array(31)), RangeError);
});
