// The federation client's pool of idle session streams: bounded per
// connection and over all connections, the stream idle longest closed first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Connection, Stream } from '@libp2p/interface';
import { FEDERATION_SESSION_PROTOCOL } from '../../../src/platform/libp2p/federation-wire.ts';
import {
  MAX_IDLE_PER_CONNECTION,
  MAX_IDLE_TOTAL,
  SessionPool,
} from '../../../src/platform/libp2p/session-pool.ts';

/** A session stream open both ways, as the pool sees one after a clean exchange; records its close. */
function sessionStream(): Stream & { closed: boolean } {
  const stream = {
    protocol: FEDERATION_SESSION_PROTOCOL,
    status: 'open',
    writeStatus: 'writable',
    readStatus: 'readable',
    remoteWriteStatus: 'writable',
    readBufferLength: 0,
    closed: false,
    addEventListener() {},
    removeEventListener() {},
    async close() {
      stream.closed = true;
      stream.status = 'closed';
    },
    abort() {
      stream.closed = true;
      stream.status = 'aborted';
    },
  };
  return stream as unknown as Stream & { closed: boolean };
}

const connection = () => ({ status: 'open' }) as unknown as Connection;

test('idle sessions are capped per connection and over all connections, the oldest closed first', async () => {
  const pool = new SessionPool();
  try {
    const one = connection();
    const kept = Array.from({ length: MAX_IDLE_PER_CONNECTION + 1 }, sessionStream);
    for (const stream of kept) pool.give(one, stream);
    assert.equal(pool.idleCount(one), MAX_IDLE_PER_CONNECTION);
    assert.ok(kept.at(-1)!.closed, 'the stream past the per-connection cap was not closed');

    // Many peers, each with its idle sessions: the total stays at the cap.
    const given: Stream[] = [];
    const connections = Array.from({ length: MAX_IDLE_TOTAL }, connection);
    for (const conn of connections)
      for (let i = 0; i < 2; i++) {
        const stream = sessionStream();
        given.push(stream);
        pool.give(conn, stream);
      }
    assert.equal(pool.idleCount(), MAX_IDLE_TOTAL);
    // The first connection's streams were idle longest: closed and gone.
    assert.equal(pool.idleCount(one), 0);
    assert.ok(kept.every((s) => (s as Stream & { closed: boolean }).closed));
    const open = given.filter((s) => !(s as Stream & { closed: boolean }).closed);
    assert.equal(open.length, MAX_IDLE_TOTAL);
    assert.deepEqual(open, given.slice(-MAX_IDLE_TOTAL));
    // The newest is still lent out again.
    const last = connections.at(-1)!;
    const lease = await pool.take(last, AbortSignal.timeout(1000));
    assert.equal(lease.reused, true);
    assert.equal(lease.stream, given.at(-1));
    assert.equal(pool.idleCount(), MAX_IDLE_TOTAL - 1);
  } finally {
    pool.clear();
  }
});
