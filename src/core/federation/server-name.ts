// Server names in this network are the lowercase hex of the server's Ed25519
// public key (64 characters), as Dendrite's Pinecone demo does; the key, and so
// the libp2p PeerId, is derived from the name without fetching anything.
// A 64-char label exceeds DNS's 63-char limit: never hand these to a hostname parser.

const SERVER_NAME = /^[0-9a-f]{64}$/;

export function isServerName(name: string): boolean {
  return SERVER_NAME.test(name);
}

/** The 32-byte Ed25519 public key a server name stands for; undefined for any other string. */
export function serverNameToPublicKey(name: string): Uint8Array | undefined {
  if (!isServerName(name)) return undefined;
  const key = new Uint8Array(32);
  for (let i = 0; i < 32; i++) key[i] = Number.parseInt(name.slice(i * 2, i * 2 + 2), 16);
  return key;
}

/** The server name of a 32-byte Ed25519 public key. */
export function publicKeyToServerName(key: Uint8Array): string {
  if (key.length !== 32) throw new RangeError(`an Ed25519 public key has 32 bytes, not ${key.length}`);
  let hex = '';
  for (const byte of key) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
