// A node's name: cleaned before it is served or shown, served in the version
// answer only when the owner gave one, and read back from a peer's answer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMemoryNetwork } from '../../../src/core/federation/memory-transport.ts';
import {
  cleanNodeName,
  MAX_NODE_NAME_LENGTH,
  NODE_NAME_FIELD,
  nodeNameFromVersion,
  versionBody,
} from '../../../src/core/federation/node-name.ts';
import { createTestHomeserver } from '../../support/hs-client.ts';
import { systemClock } from '../../../src/platform/system-clock.ts';

describe('node names', () => {
  test('control and format characters go, whitespace collapses, the length is bounded', () => {
    assert.equal(cleanNodeName('  Alice’s\tlaptop \n'), 'Alice’s laptop');
    assert.equal(cleanNodeName('evil\u202Egnp.exe'), 'evil gnp.exe');
    assert.equal(cleanNodeName('zero\u200Bwidth'), 'zero width');
    assert.equal(cleanNodeName('😀'.repeat(100)), '😀'.repeat(MAX_NODE_NAME_LENGTH));
    for (const nothing of ['', '   ', '\u0000\u0007', 42, null, undefined, { name: 'x' }]) {
      assert.equal(cleanNodeName(nothing), undefined, JSON.stringify(nothing));
    }
  });

  test('the version answer carries the name only when there is one', () => {
    assert.deepEqual(versionBody(undefined), { server: { name: 'p2p-matrix', version: '0.1.0' } });
    assert.deepEqual(versionBody(' \u0000 '), { server: { name: 'p2p-matrix', version: '0.1.0' } });
    assert.equal(versionBody(' Garden\u0007 box ')[NODE_NAME_FIELD], 'Garden box');
    assert.equal(nodeNameFromVersion({ server: {}, [NODE_NAME_FIELD]: 'x\u202Ey' }), 'x y');
    for (const body of [undefined, null, 'text', [], { [NODE_NAME_FIELD]: 7 }]) {
      assert.equal(nodeNameFromVersion(body), undefined);
    }
  });

  test('a peer asks another homeserver its name over federation', async () => {
    const network = createMemoryNetwork(systemClock);
    const named = await createTestHomeserver({
      transport: (name) => network.transport(name),
      nodeName: 'Garden box',
    });
    const plain = await createTestHomeserver({ transport: (name) => network.transport(name) });
    const asker = network.transport('ab'.repeat(32));
    try {
      const ask = async (to: string) => {
        const req = { method: 'GET', path: '/_matrix/federation/v1/version', origin: asker.serverName };
        return (await asker.request(to, req)).body;
      };
      assert.equal(nodeNameFromVersion(await ask(named.serverName)), 'Garden box');
      assert.deepEqual(await ask(plain.serverName), { server: { name: 'p2p-matrix', version: '0.1.0' } });
    } finally {
      await Promise.all([named.close(), plain.close(), asker.close()]);
    }
  });
});
