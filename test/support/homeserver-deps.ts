// What every test and bench homeserver shares: the identity its store holds
// (bootstrapped on first open, as the runtimes do), the platform's clock and
// randomness, the test Ed25519 and PBKDF2, open registration with cheap
// password hashing (tests register many users; they do not measure PBKDF2),
// silent logs and media in memory. Callers spread it and override what they
// test: a fake clock, a logger that records errors, a transport, real media.
import { bootstrapIdentity } from '../../src/core/accounts/server-identity.ts';
import type { HomeserverDeps } from '../../src/core/homeserver.ts';
import { silentLogger } from '../../src/core/ports.ts';
import { memoryBlobStore } from '../../src/core/storage/memory-blob-store.ts';
import type { Store } from '../../src/core/storage/port.ts';
import { systemClock } from '../../src/platform/system-clock.ts';
import { systemRandomBytes as randomBytes } from '../../src/platform/system-random.ts';
import { ed25519, pbkdf2 } from './ed25519.ts';

export async function homeserverDeps(store: Store): Promise<HomeserverDeps> {
  const identity = await bootstrapIdentity(store, randomBytes, ed25519);
  return {
    store,
    clock: systemClock,
    randomBytes,
    logger: silentLogger,
    serverName: identity.serverName,
    signingSeed: identity.seed,
    ed25519,
    pbkdf2,
    config: { registration: 'open', passwordIterations: 1000 },
    media: { blobs: memoryBlobStore() },
  };
}
