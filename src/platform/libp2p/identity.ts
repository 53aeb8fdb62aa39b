// One Ed25519 key per server: its hex is the Matrix server name and it is also
// the libp2p identity, so a PeerId follows from a server name (and back)
// without fetching keys. Shared by the Node peer, the relay and the browser.

import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface';
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id';
import { publicKeyToServerName, serverNameToPublicKey } from '../../core/public.ts';

/** The libp2p private key for our 32-byte Ed25519 seed (the same key signs Matrix events). */
export function privateKeyFromSeed(seed: Uint8Array): Promise<Ed25519PrivateKey> {
  if (seed.length !== 32) throw new RangeError(`an Ed25519 seed has 32 bytes, not ${seed.length}`);
  return generateKeyPairFromSeed('Ed25519', seed);
}

/** The PeerId of a server name; undefined when the string is not a server name. */
export function serverNameToPeerId(serverName: string): PeerId | undefined {
  const key = serverNameToPublicKey(serverName);
  return key ? peerIdFromPublicKey(publicKeyFromRaw(key)) : undefined;
}

/** The server name of an Ed25519 PeerId; undefined for other key types (they cannot be servers here). */
export function peerIdToServerName(peerId: PeerId): string | undefined {
  return peerId.type === 'Ed25519' ? publicKeyToServerName(peerId.publicKey.raw) : undefined;
}

/** Parses a base58 PeerId string; undefined when it is not one. */
export function parsePeerId(text: string): PeerId | undefined {
  try {
    return peerIdFromString(text);
  } catch {
    return undefined;
  }
}
