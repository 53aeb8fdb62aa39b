// The server's identity (ARCHITECTURE.md "Identity"): one ed25519 seed,
// created on first start and kept in the store; the server name is the
// lower-case hex of its public key.
import { SERVER_IDENTITY, type ServerIdentityRow, serverIdentityTable } from './tables.ts';
import { serverNameFromPublicKey } from '../protocol/signing.ts';
import type { Ed25519 } from '../protocol/ed25519.ts';
import type { Store } from '../storage/port.ts';

export interface ServerIdentity {
  readonly serverName: string;
  readonly seed: Uint8Array;
}

/** Loads the stored seed, or stores a new one (a racing first start keeps whichever committed first). */
export async function bootstrapIdentity(
  store: Store,
  randomBytes: (n: number) => Uint8Array,
  ed25519: Ed25519,
): Promise<ServerIdentity> {
  const fresh = randomBytes(32);
  const row = await store.write([SERVER_IDENTITY], async (tx) => {
    const existing = await serverIdentityTable.get(tx, 'ed25519');
    if (existing) return existing;
    const created: ServerIdentityRow = { name: 'ed25519', seed: fresh };
    await serverIdentityTable.put(tx, created);
    return created;
  });
  const seed = new Uint8Array(row.seed);
  return { serverName: serverNameFromPublicKey(await ed25519.publicKey(seed)), seed };
}
