// What the verifier Worker (verifier.ts) answers to one batch: one boolean
// per item, in order, true only for a signature `ed25519` checked valid; a
// verify that throws (a malformed key) is false, as core's verifyEd25519
// treats it. A batch that does not unpack gets no results (the sender then
// checks it itself).
import type { Ed25519 } from '../../src/core/protocol.ts';
import { unpackBatch, type VerifyReply, type VerifyRequest } from '../../src/platform/web/verifier-wire.ts';

export async function verifyBatch(ed25519: Ed25519, request: VerifyRequest): Promise<VerifyReply> {
  const { id } = request;
  const items = unpackBatch(request) ?? [];
  const results = await Promise.all(
    items.map(async ({ publicKey, message, signature }) => {
      try {
        return (await ed25519.verify(publicKey, message, signature)) === true;
      } catch {
        return false;
      }
    }),
  );
  return { id, results };
}
