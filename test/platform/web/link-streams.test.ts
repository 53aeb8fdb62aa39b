// A streamed body crosses the background ↔ node link in pieces, pulled by
// the reading side over a JSON-serialising fake port (as Chrome's runtime
// ports are): whole and in order, never a piece over LINK_CHUNK_BYTES, no
// more than one piece read ahead, cancelled when the reader stops early,
// and a source that fails half-way fails the reader too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamedBody } from '../../../src/core/public.ts';
import {
  LINK_CHUNK_BYTES,
  linkReader,
  pulledBody,
  StreamHolder,
  type StreamRequests,
} from '../../../src/platform/web/link-streams.ts';
import { PortRpc } from '../../../src/platform/web/port-rpc.ts';
import { fakePortPair } from '../../support/fake-port.ts';

/** A holder on one end of a fake port and a reader on the other; counts the reads and what the source gave. */
function linked() {
  const [holderEnd, readerEnd] = fakePortPair();
  const holder = new StreamHolder();
  const reads: number[] = [];
  new PortRpc<StreamRequests, Record<string, never>, never>(holderEnd, {
    handlers: {
      ...holder.handlers,
      readStream: async (params) => {
        reads.push(params.stream);
        return holder.handlers.readStream(params);
      },
    },
  });
  const rpc = new PortRpc<Record<string, never>, StreamRequests, never>(readerEnd, { handlers: {} });
  const reader = linkReader((type, params, ms) => rpc.call(type, params, ms), 5_000);
  return { holder, reader, reads };
}

/** `total` bytes (byte i is i mod 251) in chunks of `chunk` bytes; `pulled` counts the chunks taken so far. */
function source(total: number, chunk: number, failAt?: number) {
  const state = { pulled: 0, finished: false };
  const chunks = (async function* () {
    try {
      for (let at = 0; at < total; at += chunk) {
        if (failAt !== undefined && at >= failAt) throw new Error('the blob went away');
        state.pulled++;
        const piece = new Uint8Array(Math.min(chunk, total - at));
        for (let i = 0; i < piece.length; i++) piece[i] = (at + i) % 251;
        yield piece;
      }
    } finally {
      state.finished = true;
    }
  })();
  return { body: new StreamedBody(total, chunks), state };
}

async function collect(body: StreamedBody): Promise<{ bytes: Uint8Array; pieces: number[] }> {
  const out = new Uint8Array(body.length);
  const pieces: number[] = [];
  let at = 0;
  for await (const piece of body.chunks) {
    out.set(piece, at);
    at += piece.length;
    pieces.push(piece.length);
  }
  assert.equal(at, body.length);
  return { bytes: out, pieces };
}

test('a body crosses whole and in order, in pieces of at most LINK_CHUNK_BYTES, small chunks gathered', async () => {
  const { holder, reader } = linked();
  const total = 3 * LINK_CHUNK_BYTES + 12_345;
  const { body } = source(total, 16 * 1024);
  const ref = holder.export(body);
  assert.equal(ref.length, total);
  const { bytes, pieces } = await collect(pulledBody(JSON.parse(JSON.stringify(ref)), reader));
  assert.ok(bytes.every((b, i) => b === i % 251));
  assert.deepEqual(pieces, [LINK_CHUNK_BYTES, LINK_CHUNK_BYTES, LINK_CHUNK_BYTES, 12_345]);
  assert.equal(holder.size, 0, 'the holder lets go of a stream read to its end');
});

test('source chunks larger than a piece are cut', async () => {
  const { holder, reader } = linked();
  const { body } = source(2 * LINK_CHUNK_BYTES + 7, 2 * LINK_CHUNK_BYTES + 7);
  const { pieces } = await collect(pulledBody(holder.export(body), reader));
  assert.deepEqual(pieces, [LINK_CHUNK_BYTES, LINK_CHUNK_BYTES, 7]);
});

test('the holder reads its source no further than one piece ahead of the reader', async () => {
  const { holder, reader, reads } = linked();
  const { body, state } = source(20 * LINK_CHUNK_BYTES, LINK_CHUNK_BYTES);
  const iterator = pulledBody(holder.export(body), reader).chunks[Symbol.asyncIterator]();
  for (let consumed = 1; consumed <= 5; consumed++) {
    await iterator.next();
    assert.ok(reads.length <= consumed + 1, `${reads.length} reads for ${consumed} pieces`);
    assert.ok(state.pulled <= consumed + 1, `the source gave ${state.pulled} chunks for ${consumed} pieces`);
  }
  await iterator.return?.();
});

test('a reader that stops early cancels the stream and ends its source', async () => {
  const { holder, reader } = linked();
  const { body, state } = source(10 * LINK_CHUNK_BYTES, LINK_CHUNK_BYTES);
  for await (const _ of pulledBody(holder.export(body), reader).chunks) break;
  for (let i = 0; i < 100 && !(holder.size === 0 && state.finished); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(holder.size, 0);
  assert.ok(state.finished, 'the source was ended');
});

test('a source that fails half-way makes the reader fail, never end short as if whole', async () => {
  const { holder, reader } = linked();
  const { body } = source(4 * LINK_CHUNK_BYTES, LINK_CHUNK_BYTES, 2 * LINK_CHUNK_BYTES);
  await assert.rejects(collect(pulledBody(holder.export(body), reader)), /the blob went away/);
  assert.equal(holder.size, 0);
});

test('a stream the holder does not have fails the reader', async () => {
  const { reader } = linked();
  await assert.rejects(collect(pulledBody({ stream: 42, length: 10 }, reader)), /no stream 42/);
});
