// Peer names for the popup: asked once per peer in the background, shown
// when they arrive, asked again when the peer reconnects or the answer is old,
// and a peer that does not answer is not asked on every popup refresh.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPeerNames, NAME_TTL_MS } from '../../../background/worker/peer-names.ts';
import { NODE_NAME_FIELD } from '../../../src/core/federation/node-name.ts';

const A = 'a'.repeat(64);
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function harness(answer: (serverName: string) => Promise<unknown>) {
  let now = 1_000;
  const asked: string[] = [];
  let changes = 0;
  const names = createPeerNames({
    version: (serverName) => {
      asked.push(serverName);
      return answer(serverName);
    },
    changed: () => changes++,
    now: () => now,
  });
  return {
    names,
    asked,
    changes: () => changes,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('peer names', () => {
  test('unknown at first, asked once, shown when the answer arrives', async () => {
    const h = harness(async () => ({ server: {}, [NODE_NAME_FIELD]: ' Alice ' }));
    assert.equal(h.names.nameOf(A), undefined);
    assert.equal(h.names.nameOf(A), undefined, 'still asking');
    await settle();
    assert.equal(h.names.nameOf(A), 'Alice');
    assert.deepEqual(h.asked, [A]);
    assert.equal(h.changes(), 1);
  });

  test('a peer without a name, or that fails to answer, is asked again only after a while', async () => {
    for (const answer of [async () => ({ server: {} }), async () => Promise.reject(new Error('gone'))]) {
      const h = harness(answer);
      h.names.nameOf(A);
      await settle();
      h.names.nameOf(A);
      h.names.nameOf(A);
      assert.equal(h.asked.length, 1);
      assert.equal(h.changes(), 0, 'nothing new to show');
      h.advance(NAME_TTL_MS);
      h.names.nameOf(A);
      assert.equal(h.asked.length, 2);
    }
  });

  test('a reconnected peer is asked again, and its old name shows until the new one arrives', async () => {
    let name = 'Old';
    const h = harness(async () => ({ [NODE_NAME_FIELD]: name }));
    h.names.nameOf(A);
    await settle();
    name = 'New';
    h.names.forget(A);
    assert.equal(h.names.nameOf(A), 'Old');
    await settle();
    assert.equal(h.names.nameOf(A), 'New');
    assert.equal(h.changes(), 2);
  });
});
