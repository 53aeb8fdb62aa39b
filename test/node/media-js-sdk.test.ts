// matrix-js-sdk against a real `p2p-matrix serve` (files on disk): what a
// client does with media. Upload an image with `uploadContent`, download it
// through the authenticated v1 endpoint and the legacy one (byte-identical),
// get a 96×96 thumbnail through the sdk's mxc helper, and the same file after
// a restart of the server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MatrixClient } from 'matrix-js-sdk';
import { freePort, type ServeProcess, startServe } from '../../scripts/harness/serve-process.ts';
import { startedClient } from '../support/js-sdk.ts';
import { gradientImage, imageSize } from '../support/test-images.ts';

let dataDir: string;
let port: number;
let server: ServeProcess;
let alice: MatrixClient;
let image: Uint8Array;
let mxc: string;

const serve = () => startServe(['--port', String(port), '--data', dataDir, '--max-upload', '8']);

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'p2pm-media-'));
  port = await freePort();
  server = await serve();
  alice = await startedClient(server.baseUrl, 'alice');
  image = await gradientImage(1200, 900);
});

after(async () => {
  alice?.stopClient();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** GET with alice's access token (or none); the body as bytes. */
async function get(
  url: string,
  auth = true,
): Promise<{ status: number; headers: Headers; bytes: Uint8Array }> {
  const res = await fetch(
    url,
    auth ? { headers: { authorization: `Bearer ${alice.getAccessToken()}` } } : {},
  );
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** The sdk's URL for `mxc`: authenticated (v1) or legacy (v3), with a thumbnail size when given. */
function urlOf(authenticated: boolean, width?: number, height?: number, method?: string): string {
  const url = alice.mxcUrlToHttp(mxc, width, height, method, false, true, authenticated);
  assert.ok(url);
  return url;
}

test('uploadContent returns an mxc URI of this server', async () => {
  const res = await alice.uploadContent(Buffer.from(image), { type: 'image/jpeg', name: 'garden.jpg' });
  mxc = res.content_uri;
  assert.match(mxc, /^mxc:\/\/[0-9a-f]{64}\/[A-Za-z0-9_-]{24}$/);
});

test('the authenticated download is byte-identical, with the spec headers', async () => {
  const url = urlOf(true);
  assert.match(url, /\/_matrix\/client\/v1\/media\/download\//);
  const res = await get(url);
  assert.equal(res.status, 200);
  assert.deepEqual(res.bytes, image);
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  assert.equal(res.headers.get('content-disposition'), 'inline; filename="garden.jpg"');
  assert.match(
    res.headers.get('content-security-policy') ?? '',
    /^sandbox; default-src 'none'; script-src 'none';/,
  );
  assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal((await get(url, false)).status, 401);
});

test('the legacy unauthenticated download gives the same bytes', async () => {
  const url = urlOf(false);
  assert.match(url, /\/_matrix\/media\/v3\/download\//);
  assert.deepEqual((await get(url, false)).bytes, image);
});

test('a 96×96 cropped thumbnail through the mxc helper, and an 800×600 scaled one', async () => {
  const res = await get(urlOf(true, 96, 96, 'crop'));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  assert.deepEqual(await imageSize(res.bytes), { width: 96, height: 96, format: 'jpeg' });
  const scaled = await get(urlOf(true, 800, 600, 'scale'));
  assert.deepEqual(await imageSize(scaled.bytes), { width: 800, height: 600, format: 'jpeg' });
});

test('the media config advertises the configured upload limit, and /versions v1.11', async () => {
  const config = await alice.getMediaConfig(true);
  assert.equal(config['m.upload.size'], 8 * 1024 * 1024);
  assert.ok((await alice.getVersions()).versions.includes('v1.11'));
});

test('an upload over the limit is 413 M_TOO_LARGE', async () => {
  await assert.rejects(
    alice.uploadContent(Buffer.alloc(8 * 1024 * 1024 + 1), { type: 'application/octet-stream' }),
    { httpStatus: 413, errcode: 'M_TOO_LARGE' },
  );
});

test('after a restart the file is still served, byte-identical', async () => {
  await server.stop();
  server = await serve();
  assert.deepEqual((await get(urlOf(true))).bytes, image);
});
