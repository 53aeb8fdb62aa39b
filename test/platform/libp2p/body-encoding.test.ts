import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { gunzip, gzip } from '../../../src/platform/libp2p/body-encoding.ts';

const json = new TextEncoder().encode(JSON.stringify({ pdus: Array(500).fill({ type: 'm.room.message' }) }));

test('a JSON body gzipped decodes to the same bytes', async () => {
  const encoded = (await gzip(json))!;
  assert.ok(encoded.length < json.length / 10);
  assert.deepEqual(await gunzip(encoded, json.length), json);
});

test('bytes gzip cannot shorten are left plain', async () => {
  assert.equal(await gzip(randomBytes(4096)), undefined);
});

test('a body that decodes past its declared length is refused (a gzip bomb)', async () => {
  // 64 MiB of zeros: about 64 KiB gzipped.
  const bomb = (await gzip(new Uint8Array(64 * 1024 * 1024)))!;
  await assert.rejects(gunzip(bomb, 1024), {
    name: 'WireError',
    violation: 'malformed',
    message: /more than the 1024/,
  });
});

test('a body that decodes to gigabytes (concatenated gzip members) is refused, not decoded whole', async () => {
  // 64 copies of 64 MiB of zeros gzipped: 4 MiB in, 4 GiB out, more than one
  // array may hold; a decoder that decoded all before comparing would fail.
  const member = (await gzip(new Uint8Array(64 * 1024 * 1024)))!;
  const members = new Uint8Array(member.length * 64);
  for (let i = 0; i < 64; i++) members.set(member, i * member.length);
  await assert.rejects(gunzip(members, 1024), { name: 'WireError', violation: 'malformed' });
});

test('a body that decodes short of its declared length, is cut, or is not gzip is malformed', async () => {
  const encoded = (await gzip(json))!;
  await assert.rejects(gunzip(encoded, json.length + 1), { name: 'WireError', message: /not the/ });
  await assert.rejects(gunzip(encoded.subarray(0, encoded.length - 8), json.length), { name: 'WireError' });
  await assert.rejects(gunzip(json, json.length), { name: 'WireError', message: /not valid gzip/ });
});
