// The homeserver the Node benches measure: over a store they opened, with the
// platform's clock, randomness and keys, open registration and cheap password
// hashing (a bench registers users, it does not measure PBKDF2).
import { bootstrapIdentity } from '../src/core/accounts/server-identity.ts';
import { createHomeserver, type Homeserver, type HomeserverDeps } from '../src/core/homeserver.ts';
import { silentLogger } from '../src/core/ports.ts';
import { memoryBlobStore } from '../src/core/storage/memory-blob-store.ts';
import type { Store } from '../src/core/storage/port.ts';
import { systemClock } from '../src/platform/system-clock.ts';
import { systemRandomBytes as randomBytes } from '../src/platform/system-random.ts';
import { ed25519, pbkdf2 } from '../test/support/ed25519.ts';

export async function benchHomeserver(
  store: Store,
  media: HomeserverDeps['media'] = { blobs: memoryBlobStore() },
): Promise<Homeserver> {
  const identity = await bootstrapIdentity(store, randomBytes, ed25519);
  return createHomeserver({
    store,
    clock: systemClock,
    randomBytes,
    logger: silentLogger,
    serverName: identity.serverName,
    signingSeed: identity.seed,
    ed25519,
    pbkdf2,
    config: { registration: 'open', passwordIterations: 1000 },
    media,
  });
}
