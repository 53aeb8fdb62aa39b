// The media module over both storage stacks: uploads (sync and async),
// downloads with the spec's headers, thumbnails, limits and quotas, the
// remote cache, and bad input, each answered with the spec's error and
// nothing half-stored left behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StorageError } from '../../../src/core/storage/errors.ts';
import type { BlobStore } from '../../../src/core/storage/blob-port.ts';
import { memoryBlobStore } from '../../../src/core/storage/memory-blob-store.ts';
import { type Credentials, createTestHomeserver, type TestHomeserver } from '../../support/hs-client.ts';
import { gradientImage, imageSize } from '../../support/test-images.ts';
import { FakeClock } from '../sync/fake-clock.ts';
import { download, mediaIdOf, STORAGE_KINDS, upload } from './media-harness.ts';

const LIMITS = {
  maxUploadBytes: 200_000,
  userQuotaBytes: 300_000,
  maxPendingUploads: 2,
  pendingExpiryMs: 60_000,
};

for (const kind of STORAGE_KINDS) {
  describe(`media over ${kind.name}`, () => {
    let t: TestHomeserver;
    let alice: Credentials;
    let bob: Credentials;
    let clock: FakeClock;
    let jpeg: Uint8Array;

    before(async () => {
      clock = new FakeClock(Date.now());
      t = await createTestHomeserver({ clock, media: LIMITS, ...(kind.stores && { stores: kind.stores }) });
      alice = await t.register('alice');
      bob = await t.register('bob');
      jpeg = await gradientImage(400, 300);
    });
    after(() => t.close());

    const uploaded = async (bytes: Uint8Array, type: string, query = '') => {
      const res = await upload(t, alice.accessToken, bytes, type, query);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return mediaIdOf(t, res.body.content_uri);
    };

    test('an upload downloads byte-identical, inline for an image, with the safety headers', async () => {
      const id = await uploaded(jpeg, 'image/jpeg', '?filename=caf%C3%A9.jpg');
      const res = await download(t, alice.accessToken, id);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, jpeg);
      assert.equal(res.headers['content-type'], 'image/jpeg');
      assert.equal(
        res.headers['content-disposition'],
        `inline; filename="caf_.jpg"; filename*=utf-8''caf%C3%A9.jpg`,
      );
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['cross-origin-resource-policy'], 'cross-origin');
      assert.equal(
        res.headers['content-security-policy'],
        "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';",
      );
      const named = await download(t, alice.accessToken, id, '/other.jpg');
      assert.equal(named.headers['content-disposition'], 'inline; filename="other.jpg"');
      const legacy = await t.request('GET', `/_matrix/media/v3/download/${t.serverName}/${id}`);
      assert.deepEqual(legacy.body, jpeg);
      assert.equal((await download(t, undefined, id)).status, 401);
    });

    test('a Range header gets that part, 206 with Content-Range; past the end is 416; a malformed one the whole file', async () => {
      const bytes = new Uint8Array(1000).map((_, i) => i % 251);
      const id = await uploaded(bytes, 'video/mp4');
      const path = `/_matrix/client/v1/media/download/${t.serverName}/${id}`;
      const ranged = (range: string) => t.request('GET', path, undefined, alice.accessToken, { range });
      const whole = await download(t, alice.accessToken, id);
      assert.equal(whole.headers['accept-ranges'], 'bytes');
      for (const [range, start, end] of [
        ['bytes=0-99', 0, 99],
        ['bytes=900-', 900, 999],
        ['bytes=-10', 990, 999],
        ['bytes=990-5000', 990, 999],
        ['bytes=-5000', 0, 999],
      ] as const) {
        const res = await ranged(range);
        assert.equal(res.status, 206, range);
        assert.equal(res.headers['content-range'], `bytes ${start}-${end}/1000`);
        assert.deepEqual(res.body, bytes.subarray(start, end + 1));
        assert.equal(res.headers['content-type'], 'video/mp4');
      }
      for (const range of ['bytes=1000-', 'bytes=5000-6000', 'bytes=-0']) {
        const res = await ranged(range);
        assert.equal(res.status, 416, range);
        assert.equal(res.headers['content-range'], 'bytes */1000');
      }
      for (const range of ['bytes=5-2', 'bytes=0-1,5-6', 'items=0-1', 'bytes=x-']) {
        const res = await ranged(range);
        assert.equal(res.status, 200, range);
        assert.deepEqual(res.body, bytes);
      }
      const legacy = await t.request(
        'GET',
        `/_matrix/media/v3/download/${t.serverName}/${id}`,
        undefined,
        undefined,
        {
          range: 'bytes=10-19',
        },
      );
      assert.equal(legacy.status, 206);
      assert.deepEqual(legacy.body, bytes.subarray(10, 20));
    });

    test('active content is never inline: HTML, SVG and a lying type are attachments; a malformed type is octet-stream', async () => {
      const html = new TextEncoder().encode('<script>alert(1)</script>');
      for (const type of ['text/html', 'image/svg+xml', 'application/javascript']) {
        const res = await download(t, alice.accessToken, await uploaded(html, type));
        assert.equal(res.headers['content-type'], type);
        assert.equal(res.headers['content-disposition'], 'attachment');
        assert.match(res.headers['content-security-policy']!, /^sandbox;/);
      }
      const odd = await download(t, alice.accessToken, await uploaded(html, 'text/html\r\nx: y'));
      assert.equal(odd.headers['content-type'], 'application/octet-stream');
      assert.equal(odd.headers['content-disposition'], 'attachment');
      const text = await download(t, alice.accessToken, await uploaded(html, 'text/plain; charset=UTF-8'));
      assert.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(text.headers['content-disposition'], 'inline');
    });

    test('a zero-byte upload is allowed (the spec sets no minimum) and downloads as nothing', async () => {
      const res = await download(t, alice.accessToken, await uploaded(new Uint8Array(0), 'text/plain'));
      assert.equal(res.status, 200);
      assert.equal(res.body.length, 0);
    });

    test('malformed server names, media ids and file names are 400 M_INVALID_PARAM; unknown ids 404', async () => {
      const id = await uploaded(new Uint8Array([1, 2, 3]), 'application/octet-stream');
      const base = '/_matrix/client/v1/media/download';
      for (const path of [
        `${base}/${t.serverName}/..%2F..%2Fetc%2Fpasswd`,
        `${base}/${t.serverName}/a$b`,
        `${base}/bad%2Fname/${id}`,
        `${base}/bad%20name/${id}`,
        `${base}/${t.serverName}/${id}/..`,
        `${base}/${t.serverName}/${id}/a%2F..%2Fb`,
        `${base}/${t.serverName}/${id}/a%00b`,
      ]) {
        const res = await t.request('GET', path, undefined, alice.accessToken);
        assert.equal(res.status, 400, path);
        assert.equal(res.body.errcode, 'M_INVALID_PARAM', path);
      }
      const badName = await upload(t, alice.accessToken, new Uint8Array(1), 'text/plain', '?filename=..%2Fx');
      assert.equal(badName.body.errcode, 'M_INVALID_PARAM');
      const unknown = await download(t, alice.accessToken, 'AAAAAAAAAAAAAAAAAAAAAAAA');
      assert.deepEqual([unknown.status, unknown.body.errcode], [404, 'M_NOT_FOUND']);
      const remote = await t.request('GET', `${base}/other.example/abc`, undefined, alice.accessToken);
      assert.deepEqual([remote.status, remote.body.errcode], [404, 'M_NOT_FOUND']);
    });

    test('an upload over the limit is 413 M_TOO_LARGE and leaves nothing stored', async () => {
      const before = await t.hs.media.usage();
      const res = await upload(t, bob.accessToken, new Uint8Array(LIMITS.maxUploadBytes + 1));
      assert.deepEqual([res.status, res.body.errcode], [413, 'M_TOO_LARGE']);
      assert.deepEqual(await t.hs.media.usage(), before);
      const config = await t.request('GET', '/_matrix/client/v1/media/config', undefined, bob.accessToken);
      assert.deepEqual(config.body, { 'm.upload.size': LIMITS.maxUploadBytes });
    });

    test("past a user's quota uploads are 403 M_RESOURCE_LIMIT_EXCEEDED; other users are not affected", async () => {
      const carol = await t.register('carol');
      assert.equal((await upload(t, carol.accessToken, new Uint8Array(190_000))).status, 200);
      assert.equal((await upload(t, carol.accessToken, new Uint8Array(100_000))).status, 200);
      const over = await upload(t, carol.accessToken, new Uint8Array(20_000));
      assert.deepEqual([over.status, over.body.errcode], [403, 'M_RESOURCE_LIMIT_EXCEEDED']);
      const dave = await t.register('dave');
      assert.equal((await upload(t, dave.accessToken, new Uint8Array(20_000))).status, 200);
    });

    test('asynchronous upload: create, a download waiting for it, the upload; other user, twice, expired', async () => {
      const created = await t.request('POST', '/_matrix/media/v1/create', {}, alice.accessToken);
      assert.equal(created.status, 200);
      assert.equal(created.body.unused_expires_at, clock.now() + LIMITS.pendingExpiryMs);
      const id = mediaIdOf(t, created.body.content_uri);
      const notYet = await download(t, alice.accessToken, id, '?timeout_ms=0');
      assert.deepEqual([notYet.status, notYet.body.errcode], [504, 'M_NOT_YET_UPLOADED']);
      const waiting = download(t, bob.accessToken, id, '?timeout_ms=60000');
      const put = (who: Credentials) =>
        t.request('PUT', `/_matrix/media/v3/upload/${t.serverName}/${id}`, jpeg, who.accessToken, {
          'content-type': 'image/jpeg',
        });
      const stolen = await put(bob);
      assert.deepEqual([stolen.status, stolen.body.errcode], [403, 'M_FORBIDDEN']);
      assert.equal((await put(alice)).status, 200);
      assert.deepEqual((await waiting).body, jpeg);
      const again = await put(alice);
      assert.deepEqual([again.status, again.body.errcode], [409, 'M_CANNOT_OVERWRITE_MEDIA']);
      const elsewhere = await t.request(
        'PUT',
        `/_matrix/media/v3/upload/other.example/${id}`,
        jpeg,
        alice.accessToken,
      );
      assert.deepEqual([elsewhere.status, elsewhere.body.errcode], [404, 'M_NOT_FOUND']);

      const late = mediaIdOf(
        t,
        (await t.request('POST', '/_matrix/media/v1/create', {}, alice.accessToken)).body.content_uri,
      );
      await clock.advance(LIMITS.pendingExpiryMs);
      const expired = await t.request(
        'PUT',
        `/_matrix/media/v3/upload/${t.serverName}/${late}`,
        jpeg,
        alice.accessToken,
      );
      assert.deepEqual([expired.status, expired.body.errcode], [404, 'M_NOT_FOUND']);
    });

    test('a user may hold only so many unused ids from create: then 429 M_LIMIT_EXCEEDED', async () => {
      const erin = await t.register('erin');
      const create = () => t.request('POST', '/_matrix/media/v1/create', {}, erin.accessToken);
      assert.equal((await create()).status, 200);
      assert.equal((await create()).status, 200);
      const third = await create();
      assert.deepEqual([third.status, third.body.errcode], [429, 'M_LIMIT_EXCEEDED']);
      assert.ok(third.body.retry_after_ms > 0);
    });

    test('thumbnails: 96×96 crop, a scaled one within its box, cached; no thumbnail of what is not an image', async () => {
      const id = await uploaded(jpeg, 'image/jpeg');
      const path = (query: string) => `/_matrix/client/v1/media/thumbnail/${t.serverName}/${id}?${query}`;
      const crop = await t.request(
        'GET',
        path('width=96&height=96&method=crop'),
        undefined,
        alice.accessToken,
      );
      assert.equal(crop.status, 200);
      assert.equal(crop.headers['content-type'], 'image/jpeg');
      assert.deepEqual(await imageSize(crop.body), { width: 96, height: 96, format: 'jpeg' });
      const scale = await t.request(
        'GET',
        path('width=300&height=200&method=scale'),
        undefined,
        alice.accessToken,
      );
      assert.deepEqual(await imageSize(scale.body), { width: 320, height: 240, format: 'jpeg' });
      const thumbs = (await t.hs.media.usage()).thumbnails.files;
      const again = await t.request(
        'GET',
        path('width=90&height=90&method=crop'),
        undefined,
        alice.accessToken,
      );
      assert.deepEqual(again.body, crop.body);
      assert.equal((await t.hs.media.usage()).thumbnails.files, thumbs);
      const legacy = await t.request(
        'GET',
        `/_matrix/media/v3/thumbnail/${t.serverName}/${id}?width=96&height=96&method=crop`,
      );
      assert.deepEqual(legacy.body, crop.body);

      for (const [query, code] of [
        ['height=96', 'M_MISSING_PARAM'],
        ['width=0&height=96', 'M_INVALID_PARAM'],
        ['width=96&height=96&method=stretch', 'M_INVALID_PARAM'],
      ] as const) {
        const res = await t.request('GET', path(query), undefined, alice.accessToken);
        assert.deepEqual([res.status, res.body.errcode], [400, code], query);
      }
      const text = await uploaded(new TextEncoder().encode('hello'), 'text/plain');
      const none = await t.request(
        'GET',
        `/_matrix/client/v1/media/thumbnail/${t.serverName}/${text}?width=96&height=96`,
        undefined,
        alice.accessToken,
      );
      assert.deepEqual([none.status, none.body.errcode], [400, 'M_UNKNOWN']);
      const lying = await uploaded(new TextEncoder().encode('not a png'), 'image/png');
      const bad = await t.request(
        'GET',
        `/_matrix/client/v1/media/thumbnail/${t.serverName}/${lying}?width=96&height=96`,
        undefined,
        alice.accessToken,
      );
      assert.deepEqual([bad.status, bad.body.errcode], [400, 'M_UNKNOWN']);
    });

    test('URL previews are refused with 403 M_FORBIDDEN, saying why', async () => {
      const res = await t.request(
        'GET',
        '/_matrix/client/v1/media/preview_url?url=https%3A%2F%2Fexample.org',
        undefined,
        alice.accessToken,
      );
      assert.deepEqual([res.status, res.body.errcode], [403, 'M_FORBIDDEN']);
      assert.match(res.body.error, /previews/);
    });

    test('the remote cache: a cached file is served, checked against what was announced, and cleared', async () => {
      const media = t.hs.media;
      const bytes = await gradientImage(50, 40, 'png');
      await assert.rejects(
        media.cacheRemote(
          'other.example',
          'lie',
          { size: bytes.length, sha256: '00'.repeat(32) },
          chunksOf(bytes),
        ),
        {
          status: 502,
        },
      );
      await assert.rejects(
        media.cacheRemote('other.example', 'short', { size: bytes.length + 1 }, chunksOf(bytes)),
        {
          status: 502,
        },
      );
      await media.cacheRemote(
        'other.example',
        'ok',
        { contentType: 'image/png', size: bytes.length },
        chunksOf(bytes),
      );
      const path = '/_matrix/client/v1/media/download/other.example/ok';
      assert.deepEqual((await t.request('GET', path, undefined, alice.accessToken)).body, bytes);
      const thumb = await t.request(
        'GET',
        '/_matrix/client/v1/media/thumbnail/other.example/ok?width=32&height=32&method=crop',
        undefined,
        alice.accessToken,
      );
      assert.deepEqual(await imageSize(thumb.body), { width: 32, height: 32, format: 'png' });
      const usage = await media.usage();
      assert.equal(usage.remote.files, 1);
      assert.equal(usage.remote.bytes, bytes.length);
      const cleared = await media.clearRemoteCache();
      assert.equal(cleared.files, 1);
      assert.equal((await media.usage()).remote.files, 0);
      assert.equal((await t.request('GET', path, undefined, alice.accessToken)).status, 404);
    });
  });
}

describe('media when storage is full', () => {
  test('a full disk during an upload is 403 M_RESOURCE_LIMIT_EXCEEDED and leaves nothing stored', async () => {
    const inner = memoryBlobStore();
    let full = false;
    const blobs: BlobStore = {
      ...inner,
      async create() {
        const writer = await inner.create();
        return {
          ...writer,
          async append(bytes) {
            if (full) throw new StorageError('QuotaExceededError', 'disk is full');
            return writer.append(bytes);
          },
        };
      },
    };
    const { SCHEMA } = await import('../../../src/core/schema.ts');
    const { openSqliteStore } = await import('../../../src/node/storage/sqlite-store.ts');
    const t = await createTestHomeserver({
      stores: async () => ({ store: await openSqliteStore(':memory:', SCHEMA), blobs }),
    });
    try {
      const alice = await t.register('alice');
      full = true;
      const res = await upload(t, alice.accessToken, new Uint8Array(1000));
      assert.deepEqual([res.status, res.body.errcode], [403, 'M_RESOURCE_LIMIT_EXCEEDED']);
      assert.deepEqual(await inner.ids(), []);
      assert.equal((await t.hs.media.usage()).local.files, 0);
    } finally {
      await t.close();
    }
  });
});

async function* chunksOf(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.length; at += 100) yield bytes.subarray(at, at + 100);
}

describe('media after a crash', () => {
  test('blobs no row names (stored, never committed) are swept at start; named ones stay', async () => {
    const blobs = memoryBlobStore();
    const { SCHEMA } = await import('../../../src/core/schema.ts');
    const { openSqliteStore } = await import('../../../src/node/storage/sqlite-store.ts');
    const t = await createTestHomeserver({
      stores: async () => ({ store: await openSqliteStore(':memory:', SCHEMA), blobs }),
    });
    try {
      const alice = await t.register('alice');
      const id = mediaIdOf(
        t,
        (await upload(t, alice.accessToken, new Uint8Array([1, 2, 3]))).body.content_uri,
      );
      const orphan = await blobs.create();
      await orphan.append(new Uint8Array(10));
      await orphan.finish();
      assert.equal(await t.hs.media.sweepOrphans(), 1);
      assert.equal((await blobs.ids()).length, 1);
      assert.deepEqual((await download(t, alice.accessToken, id)).body, new Uint8Array([1, 2, 3]));
    } finally {
      await t.close();
    }
  });
});
