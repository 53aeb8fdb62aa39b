import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { announce, announced, sha256Hex } from '../../../../src/core/federation/media/integrity.ts';
import {
  boundaryOf,
  encodeMediaMultipart,
  type MediaMultipart,
  MultipartError,
  readMediaMultipart,
} from '../../../../src/core/federation/media/multipart.ts';
import { fileNameOf } from '../../../../src/core/federation/media/remote-media.ts';
import { wholeBody, streamOf } from '../../../../src/core/federation/streamed-body.ts';
import { StreamedBody } from '../../../../src/core/federation/transport.ts';

const BOUNDARY = 'a1b2c3d4e5f6a7b8c9d0';
const encoder = new TextEncoder();

function pattern(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 7 + 3) & 0xff);
}

/** The whole encoded answer for `content`, as bytes. */
async function encoded(content: Uint8Array, contentDisposition?: string) {
  const { contentType, body } = encodeMediaMultipart(
    BOUNDARY,
    announce(content.length, sha256Hex(content)),
    { contentType: 'image/png', ...(contentDisposition && { contentDisposition }) },
    streamOf(content),
  );
  return { contentType, bytes: await wholeBody(body, body.length) };
}

async function read(contentType: string, bytes: Uint8Array, chunk = 1000): Promise<MediaMultipart> {
  const { multipart } = await readMediaMultipart(
    contentType,
    streamOf(bytes, chunk),
    (m) => announced(m)?.size,
  );
  return multipart;
}

async function contentOf(multipart: MediaMultipart): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of multipart.content) parts.push(part);
  return Buffer.concat(parts);
}

describe('federation media multipart', () => {
  test('what is encoded reads back: metadata, headers and the content, whatever the chunking', async () => {
    const content = pattern(100_003);
    const { contentType, bytes } = await encoded(content, 'inline; filename="cat.png"');
    assert.equal(contentType, `multipart/mixed; boundary=${BOUNDARY}`);
    const text = new TextDecoder().decode(bytes.subarray(0, 200));
    assert.match(text, new RegExp(`^--${BOUNDARY}\r\nContent-Type: application/json\r\n\r\n\\{`));
    for (const chunk of [7, 4096, 1 << 20]) {
      const multipart = await read(contentType, bytes, chunk);
      assert.deepEqual(announced(multipart.metadata), { size: content.length, sha256: sha256Hex(content) });
      assert.equal(multipart.headers['content-type'], 'image/png');
      assert.equal(multipart.headers['content-disposition'], 'inline; filename="cat.png"');
      assert.deepEqual(await contentOf(multipart), Buffer.from(content));
    }
  });

  test('one byte at a time reads the same', async () => {
    const content = pattern(3000);
    const { contentType, bytes } = await encoded(content);
    assert.deepEqual(await contentOf(await read(contentType, bytes, 1)), Buffer.from(content));
  });

  test('an empty file and a quoted boundary are fine', async () => {
    const { bytes } = await encoded(new Uint8Array(0));
    const multipart = await read(`multipart/mixed; boundary="${BOUNDARY}"`, bytes);
    assert.equal((await contentOf(multipart)).length, 0);
  });

  test('a media type that is not multipart/mixed with a boundary is refused', () => {
    for (const type of [
      undefined,
      'image/png',
      'multipart/mixed',
      'multipart/mixed; boundary=',
      'multipart/form-data; boundary=x',
    ])
      assert.throws(() => boundaryOf(type), MultipartError, String(type));
    assert.equal(boundaryOf('Multipart/Mixed; charset=x; boundary="a b"'), 'a b');
  });

  const json = (content: string) =>
    JSON.stringify(announce(content.length, sha256Hex(encoder.encode(content))));
  /** A two-part answer with these pieces (each may be broken on purpose), then `after`. */
  const answer = (pieces: {
    jsonType?: string;
    metadata?: string;
    headers?: string[];
    content?: string;
    after?: string[];
  }) =>
    encoder.encode(
      [
        `--${BOUNDARY}`,
        `Content-Type: ${pieces.jsonType ?? 'application/json'}`,
        '',
        pieces.metadata ?? json(pieces.content ?? 'hi'),
        `--${BOUNDARY}`,
        ...(pieces.headers ?? ['Content-Type: text/plain']),
        '',
        pieces.content ?? 'hi',
        ...(pieces.after ?? []),
        `--${BOUNDARY}--`,
        '',
      ].join('\r\n'),
    );
  const malformed: Record<string, Uint8Array> = {
    'no opening boundary': encoder.encode(
      ['--other', 'Content-Type: application/json', '', '{}'].join('\r\n'),
    ),
    'first part not JSON': answer({ jsonType: 'text/plain' }),
    'metadata not an object': answer({ metadata: '[1]' }),
    'no size announced': answer({ metadata: '{}' }),
    'a Location redirect': answer({ headers: ['Location: https://cdn.example/x'], content: '' }),
    'no content type': answer({ headers: [] }),
    'content longer than announced': answer({ metadata: json('hi'), content: 'hi there' }),
    'content shorter than announced': answer({ metadata: json('hi there'), content: 'hi' }),
    'a third part': answer({ after: [`--${BOUNDARY}`, 'Content-Type: text/plain', '', 'more'] }),
    'endless headers': encoder.encode(
      [`--${BOUNDARY}`, ...Array.from({ length: 2000 }, () => 'X-Pad: xxxxxxxx')].join('\r\n'),
    ),
  };
  for (const [name, bytes] of Object.entries(malformed)) {
    test(`malformed: ${name}`, async () => {
      await assert.rejects(
        (async () => contentOf(await read(`multipart/mixed; boundary=${BOUNDARY}`, bytes)))(),
        MultipartError,
      );
    });
  }

  test('a body cut short of its announced length never reads as whole', async () => {
    const content = pattern(10_000);
    const { contentType, bytes } = await encoded(content);
    const cut = new StreamedBody(bytes.length, streamOf(bytes.subarray(0, bytes.length - 3000)).chunks);
    await assert.rejects(async () => {
      const { multipart } = await readMediaMultipart(contentType, cut, (m) => announced(m)?.size);
      await contentOf(multipart);
    }, MultipartError);
  });

  test('the announced size and hash must be well formed', () => {
    assert.equal(announced({}), undefined);
    assert.equal(announced(announce(-1, 'a'.repeat(64))), undefined);
    assert.equal(announced(announce(1, 'A'.repeat(64))), undefined);
    assert.equal(announced({ ...announce(1, 'a'.repeat(64)), 'p2p_matrix.size': '1' }), undefined);
    assert.deepEqual(announced(announce(1, 'a'.repeat(64))), { size: 1, sha256: 'a'.repeat(64) });
  });

  test('file names come out of Content-Disposition in either form', () => {
    assert.equal(fileNameOf('inline; filename="cat.png"'), 'cat.png');
    assert.equal(fileNameOf("attachment; filename*=UTF-8''%C3%A9t%C3%A9.txt"), 'été.txt');
    assert.equal(fileNameOf('inline; filename=plain.txt'), 'plain.txt');
    assert.equal(fileNameOf('inline'), undefined);
    assert.equal(fileNameOf(undefined), undefined);
  });
});
