// The page's cache of homeserver media as blob: URLs (content/shim/media-cache.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MediaCache } from '../../content/shim/media-cache.ts';

/** A loader that counts its calls and answers `size` bytes, or fails for URLs containing "bad". */
function loader(size = 10) {
  const calls: string[] = [];
  const load = async (url: string) => {
    calls.push(url);
    if (url.includes('bad')) throw new TypeError('media answered 404');
    return new Blob([new Uint8Array(size)], { type: 'image/png' });
  };
  return { calls, load };
}

const resolves = async (objectUrl: string) => (await fetch(objectUrl)).blob();

describe('MediaCache', () => {
  test('downloads a URL once however many elements ask, and hands out a blob: URL with its bytes', async () => {
    const { calls, load } = loader(7);
    const cache = new MediaCache(load);
    const [a, b] = await Promise.all([cache.objectUrl('https://hs/a'), cache.objectUrl('https://hs/a')]);
    assert.equal(a, b);
    assert.match(a, /^blob:/);
    assert.deepEqual(calls, ['https://hs/a']);
    assert.equal((await resolves(a)).size, 7);
    assert.equal(await cache.objectUrl('https://hs/a'), a);
    assert.equal(calls.length, 1);
  });

  test('a failed download is not kept: the next request tries again', async () => {
    const { calls, load } = loader();
    const cache = new MediaCache(load);
    await assert.rejects(cache.objectUrl('https://hs/bad'), TypeError);
    await assert.rejects(cache.objectUrl('https://hs/bad'), TypeError);
    assert.equal(calls.length, 2);
  });

  test('over its byte bound it forgets the least recently used and revokes their blob: URLs', async () => {
    const { calls, load } = loader(10);
    const cache = new MediaCache(load, 25);
    const a = await cache.objectUrl('https://hs/a');
    const b = await cache.objectUrl('https://hs/b');
    await cache.objectUrl('https://hs/a'); // a is now the most recently used
    await cache.objectUrl('https://hs/c'); // 30 bytes: b goes
    assert.equal(await cache.objectUrl('https://hs/a'), a);
    assert.equal((await resolves(a)).size, 10);
    await assert.rejects(resolves(b));
    await cache.objectUrl('https://hs/b');
    assert.deepEqual(calls, ['https://hs/a', 'https://hs/b', 'https://hs/c', 'https://hs/b']);
  });
});
