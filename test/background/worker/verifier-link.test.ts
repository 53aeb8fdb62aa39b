// The service worker's verifier link (verifier-link.ts): a port offered
// before the homeserver boots is kept (the latest only, the older closed) and
// given to the batching Ed25519 when it is made; one offered after goes to it
// at once, replacing the one before.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createVerifierLink } from '../../../background/worker/verifier-link.ts';
import type { RpcChannel } from '../../../src/platform/web/port-rpc.ts';
import { ed25519 } from '../../support/ed25519.ts';

function port(): RpcChannel & { closed: boolean } {
  return {
    closed: false,
    onmessage: null,
    postMessage() {},
    close() {
      this.closed = true;
    },
  };
}

test('the latest port offered before boot is used, the others closed', () => {
  const link = createVerifierLink();
  const [first, second, third] = [port(), port(), port()];
  link.offer(first);
  link.offer(second);
  assert.deepEqual([first.closed, second.closed], [true, false]);
  link.wrap(ed25519);
  assert.equal(typeof second.onmessage, 'function', 'the batching Ed25519 listens on it');
  link.offer(third);
  assert.deepEqual([second.closed, second.onmessage, third.closed], [true, null, false]);
  assert.equal(typeof third.onmessage, 'function');
});
