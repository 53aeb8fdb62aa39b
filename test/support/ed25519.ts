// Ed25519 and PBKDF2 for tests: the platform's own (src/platform), as the
// composition roots pass them, and signers over test seeds.
import { ed25519Signer, P2P_KEY_ID, type Signer } from '../../src/core/protocol.ts';
import { createEd25519Backend } from '../../src/platform/ed25519.ts';

export { webCryptoPbkdf2 as pbkdf2 } from '../../src/platform/pbkdf2.ts';

/** Node 24's WebCrypto Ed25519 (what chooseEd25519 picks on Node). */
export const ed25519 = createEd25519Backend('webcrypto');

/** Signs as `name` with `seed`, under `keyId` (a server's `ed25519:p2p` unless told). */
export function signerFor(name: string, seed: Uint8Array, keyId = P2P_KEY_ID): Signer {
  return ed25519Signer(ed25519, name, keyId, seed);
}
