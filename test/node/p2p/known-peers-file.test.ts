import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { knownPeersFile } from '../../../src/node/p2p/known-peers-file.ts';

const a = 'a'.repeat(64);
const b = 'b'.repeat(64);

test('saved peers are there for the next process; a re-saved peer replaces its entry', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'known-peers-'));
  try {
    const path = join(dir, 'sub', 'peers.json');
    assert.deepEqual(await knownPeersFile(path).load(), []);
    const first = knownPeersFile(path);
    await first.save({ serverName: a, addrs: ['/ip4/127.0.0.1/tcp/1/ws'] });
    await first.save({ serverName: b, addrs: [] });
    await first.save({ serverName: a, addrs: ['/ip4/127.0.0.1/tcp/2/ws'] });
    const reloaded = await knownPeersFile(path).load();
    assert.deepEqual(reloaded, [
      { serverName: b, addrs: [] },
      { serverName: a, addrs: ['/ip4/127.0.0.1/tcp/2/ws'] },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('entries that are not server names are ignored when loading', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'known-peers-'));
  try {
    const path = join(dir, 'peers.json');
    await writeFile(
      path,
      JSON.stringify([
        { serverName: 'evil.example', addrs: [] },
        { serverName: a, addrs: ['x'] },
      ]),
    );
    assert.deepEqual(await knownPeersFile(path).load(), [{ serverName: a, addrs: ['x'] }]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
