import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  dataFrames,
  encodeFrame,
  FrameDecoder,
  FrameKind,
  MAX_FRAME_BYTES,
  MAX_FRAME_PAYLOAD,
  packFrames,
} from '../../../src/platform/libp2p/frames.ts';

const join = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

test('frames decode the same however the bytes are split into chunks', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 40_000 }), { maxLength: 4 }),
      fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 8 }),
      (bodies, cuts) => {
        const wire = join([...packFrames(bodies.flatMap((body) => [...dataFrames(body)]))]);
        const decoder = new FrameDecoder();
        const frames = [];
        for (let at = 0, i = 0; at < wire.length; i++) {
          const size = cuts[i % cuts.length]!;
          frames.push(...decoder.push(wire.subarray(at, at + size)));
          at += size;
        }
        assert.ok(decoder.idle);
        assert.ok(frames.every((f) => f.kind === FrameKind.data && f.payload.length <= MAX_FRAME_PAYLOAD));
        assert.deepEqual(join(frames.map((f) => f.payload)), join(bodies));
      },
    ),
    { numRuns: 50 },
  );
});

test('every frame fits one 16 KiB WebRTC message, and packing batches them into larger sends', () => {
  const frames = [...dataFrames(new Uint8Array(100_000))];
  assert.ok(frames.every((f) => f.payload.length + 5 <= MAX_FRAME_BYTES));
  const chunks = [...packFrames(frames)];
  assert.ok(chunks.length < frames.length);
  const decoded = new FrameDecoder().push(join(chunks));
  assert.deepEqual(
    decoded.map((f) => f.payload.length),
    frames.map((f) => f.payload.length),
  );
});

test('an oversized length is refused from the 5-byte frame header, before any payload', () => {
  const header = new Uint8Array([FrameKind.data, 0, 0, 0x40, 0x00]);
  assert.throws(() => new FrameDecoder().push(header), { name: 'FrameError' });
});

test('an unknown frame kind is refused', () => {
  assert.throws(() => new FrameDecoder().push(new Uint8Array([9, 0, 0, 0, 0])), { name: 'FrameError' });
});

test('an empty END frame decodes, and a partial frame leaves the decoder busy', () => {
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(encodeFrame(FrameKind.end)), [
    { kind: FrameKind.end, payload: new Uint8Array(0) },
  ]);
  decoder.push(new Uint8Array([FrameKind.data, 0, 0]));
  assert.equal(decoder.idle, false);
});
