// copyOf makes the copy structuredClone would make of a row: equal, sharing
// nothing with the original, other objects than plain ones copied whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyOf } from '../../../src/core/storage/copy-row.ts';

test('a row is copied deeply: changing the copy changes nothing in the original', () => {
  const row = {
    event_id: '$a',
    depth: 3,
    pdu: { content: { body: 'hi', list: [1, { x: null }] }, flag: true },
  };
  const copy = copyOf(row);
  assert.deepEqual(copy, row);
  copy.pdu.content.list.push(2);
  (copy.pdu.content.list[1] as { x: unknown }).x = 'changed';
  copy.pdu.content.body = 'changed';
  assert.deepEqual(row, {
    event_id: '$a',
    depth: 3,
    pdu: { content: { body: 'hi', list: [1, { x: null }] }, flag: true },
  });
});

test('copies keep the order of members, undefined members and copies of typed arrays', () => {
  const bytes = Uint8Array.of(1, 2, 3);
  const row = { b: 1, a: undefined, bytes };
  const copy = copyOf(row);
  assert.deepEqual(Object.keys(copy), ['b', 'a', 'bytes']);
  assert.ok('a' in copy);
  assert.deepEqual(copy.bytes, bytes);
  assert.notEqual(copy.bytes, bytes);
});

test('an own "__proto__" member from a peer stays a member, never the copy\'s prototype', () => {
  const row = JSON.parse('{"pdu":{"content":{"__proto__":{"polluted":true}}}}');
  const copy = copyOf(row);
  assert.equal(Object.getPrototypeOf(copy.pdu.content), Object.prototype);
  assert.equal(copy.pdu.content.polluted, undefined);
  assert.deepEqual(Object.keys(copy.pdu.content), ['__proto__']);
  assert.deepEqual(JSON.stringify(copy), JSON.stringify(row));
});

test('answers of queries are copied too: arrays of rows and counts', () => {
  const rows = [{ a: [1] }, { a: [2] }];
  const copy = copyOf(rows);
  copy[0]!.a.push(3);
  assert.deepEqual(rows, [{ a: [1] }, { a: [2] }]);
  assert.equal(copyOf(7), 7);
});

test('a frozen array is shared (nobody can change it); the row around it is still a copy', () => {
  const entries = Object.freeze([Object.freeze([1, 'hello', 5]), Object.freeze([1, 'world', 5])]);
  const row = { event_id: '$a', search: entries, other: [1, 2] };
  const copy = copyOf(row);
  assert.equal(copy.search, entries);
  assert.notEqual(copy, row);
  assert.notEqual(copy.other, row.other);
  const rewritten = { ...copy, stream: 6 };
  assert.equal(rewritten.search, entries);
});
