import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { topoSort } from '../../../src/core/federation/topo-sort.ts';
import type { RoomEvent } from '../../../src/core/protocol.ts';

function event(id: string, depth: number, prev: string[]): RoomEvent {
  return {
    event_id: id,
    room_id: '!r:x',
    sender: '@a:x',
    origin_server_ts: 0,
    type: 'm.room.message',
    content: {},
    prev_events: prev,
    auth_events: [],
    depth,
    hashes: { sha256: '' },
    signatures: {},
  };
}

const ids = (events: RoomEvent[]) => events.map((e) => e.event_id);

describe('topoSort', () => {
  test('puts every event after the events it points at, whatever order they came in', () => {
    const a = event('$a', 1, []);
    const b = event('$b', 2, ['$a']);
    const c = event('$c', 2, ['$a']);
    const d = event('$d', 3, ['$b', '$c']);
    assert.deepEqual(ids(topoSort([d, c, b, a], (e) => e.prev_events)), ['$a', '$b', '$c', '$d']);
  });

  test('ignores edges to events that are not given', () => {
    const b = event('$b', 9, ['$unknown']);
    const c = event('$c', 10, ['$b']);
    assert.deepEqual(ids(topoSort([c, b], (e) => e.prev_events)), ['$b', '$c']);
  });

  test('among the events ready at once, the shallowest first, then by id, across a wide fan-out', () => {
    const create = event('$create', 1, []);
    const members = Array.from({ length: 2_000 }, (_, i) =>
      event(`$m${String(i).padStart(4, '0')}`, 2 + (i % 3), ['$create']),
    );
    const sorted = topoSort([...members].reverse().concat(create), (e) => e.prev_events);
    assert.equal(sorted[0], create);
    const expected = [...members].sort((a, b) => a.depth - b.depth || (a.event_id < b.event_id ? -1 : 1));
    assert.deepEqual(ids(sorted.slice(1)), ids(expected));
  });

  test('still returns every event of a (forged) cycle', () => {
    const x = event('$x', 1, ['$y']);
    const y = event('$y', 2, ['$x']);
    assert.deepEqual(ids(topoSort([y, x], (e) => e.prev_events)), ['$x', '$y']);
  });
});
