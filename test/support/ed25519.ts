// Ed25519, PBKDF2 and SHA-256 for tests and benches: the platform's own
// (src/platform, src/node), as the Node composition root takes them, and
// signers over test seeds.
import { ed25519Signer, P2P_KEY_ID, type Signer } from '../../src/core/protocol.ts';
import { useNodeSha256 } from '../../src/node/node-sha256.ts';
import { createEd25519Backend } from '../../src/platform/ed25519.ts';

useNodeSha256();

export { webCryptoPbkdf2 as pbkdf2 } from '../../src/platform/pbkdf2.ts';

/** Node 24's WebCrypto Ed25519 (what chooseEd25519 picks on Node). */
export const ed25519 = createEd25519Backend('webcrypto');

/** Signs as `name` with `seed`, under `keyId` (a server's `ed25519:p2p` unless told). */
export function signerFor(name: string, seed: Uint8Array, keyId = P2P_KEY_ID): Signer {
  return ed25519Signer(ed25519, name, keyId, seed);
}
