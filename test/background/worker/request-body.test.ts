// A streamed request body as the core reads it: whole and in order, one
// `more` per piece taken (so the sender never runs more than its window
// ahead), held to its announced length, and failing (never ending short as
// if whole) when the request ends before its body did.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestBodyInbox } from '../../../background/worker/request-body.ts';
import { encodeWireBytes } from '../../../src/platform/web/hs-wire.ts';

const piece = (...bytes: number[]) => encodeWireBytes(new Uint8Array(bytes));

async function read(inbox: RequestBodyInbox): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of inbox.chunks()) out.push(...chunk);
  return out;
}

test('the pieces come out whole and in order, with one `more` for each piece taken but the last', async () => {
  let more = 0;
  const inbox = new RequestBodyInbox(5, () => more++);
  const reading = read(inbox);
  inbox.push(piece(1, 2));
  inbox.push(piece(0xff));
  await new Promise((resolve) => setImmediate(resolve));
  inbox.push(piece(4, 5));
  assert.deepEqual(await reading, [1, 2, 0xff, 4, 5]);
  assert.equal(more, 2);
});

test('a body longer than announced fails the reader', async () => {
  const inbox = new RequestBodyInbox(2, () => {});
  inbox.push(piece(1, 2, 3));
  await assert.rejects(read(inbox), /longer than its 2 bytes/);
});

test('a request that ends before its body did fails the reader', async () => {
  const inbox = new RequestBodyInbox(4, () => {});
  const reading = read(inbox);
  inbox.push(piece(1, 2));
  inbox.fail(new Error('the page aborted'));
  await assert.rejects(reading, /the page aborted/);
});

test('malformed base64 fails the reader', async () => {
  const inbox = new RequestBodyInbox(4, () => {});
  inbox.push({ base64: '!!!' });
  await assert.rejects(read(inbox), /malformed request body/);
});
