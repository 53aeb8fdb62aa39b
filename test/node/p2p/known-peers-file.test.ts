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

test('at most 1,024 peers are remembered, the oldest saved forgotten first; a longer file is cut when read (issue 12)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'known-peers-'));
  const name = (i: number) => i.toString(16).padStart(64, '0');
  try {
    const path = join(dir, 'peers.json');
    const store = knownPeersFile(path);
    for (let i = 0; i < 1030; i++)
      await store.save({ serverName: name(i), addrs: [`/ip4/127.0.0.1/tcp/${i}/ws`] });
    const peers = await knownPeersFile(path).load();
    assert.equal(peers.length, 1024);
    assert.equal(peers[0]?.serverName, name(6));
    assert.equal(peers.at(-1)?.serverName, name(1029));
    // A file written by someone else, with more peers and addresses than kept.
    const many = Array.from({ length: 2000 }, (_, i) => ({
      serverName: name(i),
      addrs: Array.from({ length: 40 }, (_, j) => `/ip4/127.0.0.1/tcp/${j + 1}/ws`),
    }));
    await writeFile(path, JSON.stringify(many));
    const cut = await knownPeersFile(path).load();
    assert.equal(cut.length, 1024);
    assert.equal(cut[0]?.serverName, name(976));
    assert.ok(cut.every((peer) => peer.addrs.length === 16));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
