// The verifier Worker's ports (verifier-service.ts): it answers on the latest
// port it was given and closes the one before, so the ports of service
// workers that stopped are not kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ServedPort, verifierService } from '../../../background/verifier/verifier-service.ts';
import { packBatch, type VerifyReply } from '../../../src/platform/web/verifier-wire.ts';
import { ed25519 } from '../../support/ed25519.ts';

function port(): ServedPort & { closed: boolean; replies: VerifyReply[]; replied: Promise<void> } {
  const replied = Promise.withResolvers<void>();
  return {
    closed: false,
    replies: [],
    replied: replied.promise,
    onmessage: null,
    postMessage(reply) {
      this.replies.push(reply);
      replied.resolve();
    },
    close() {
      this.closed = true;
    },
  };
}

test('a new port closes the one before; requests are answered on the new one', async () => {
  const service = verifierService(Promise.resolve(ed25519));
  const first = port();
  service.offer(first);
  assert.equal(first.closed, false);
  const second = port();
  service.offer(second);
  assert.deepEqual([first.closed, first.onmessage, second.closed], [true, null, false]);

  const seed = new Uint8Array(32).fill(3);
  const message = new TextEncoder().encode('signed');
  const item = {
    publicKey: await ed25519.publicKey(seed),
    message,
    signature: await ed25519.sign(seed, message),
  };
  second.onmessage!({ data: packBatch(9, [item]) } as MessageEvent);
  await second.replied;
  assert.deepEqual(second.replies, [{ id: 9, results: [true] }]);
});
