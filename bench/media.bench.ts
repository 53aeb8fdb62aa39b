// Media (issue 11): upload and download throughput and thumbnail time.
//  - Node: a homeserver as `serve --data` runs it (SQLite rows, files on
//    disk) behind the real node:http adapter, driven with fetch over
//    loopback: a 64 MiB upload streamed in, then downloaded; MB/s of each.
//  - Node: sharp making a 96×96 crop and an 800×600 scale of a 4000×3000
//    JPEG (the thumbnailer's own work, median of 5).
//  - Chromium with the built extension (skipped without Chromium or a
//    build): a page uploads 32 MiB through the content-script shim into the
//    worker's IndexedDB and downloads it back; then the worker makes the
//    96×96 thumbnail of the 4000×3000 JPEG with OffscreenCanvas (the first
//    thumbnail request, which decodes, scales, encodes and stores it).
// Run alone: `node bench/run.ts media` (run browsers under flock, see TESTING.md).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { silentLogger } from '../src/core/ports.ts';
import { SCHEMA } from '../src/core/schema.ts';
import { startHttpServer } from '../src/node/http-server.ts';
import { sharpThumbnailer } from '../src/node/media/sharp-thumbnailer.ts';
import { openFileBlobStore } from '../src/node/storage/file-blob-store.ts';
import { openSqliteStore } from '../src/node/storage/sqlite-store.ts';
import { HOMESERVER_ORIGIN } from '../src/platform/web/homeserver-url.ts';
import { callClient, openClientPage } from '../scripts/harness/client-page/driver.ts';
import { CHROMIUM_PATH, EXTENSION_DIR, removeProfile } from '../scripts/harness/extension-browser.ts';
import {
  approveOrigin,
  launchWithLoopbackAccess,
  startClientSite,
} from '../scripts/harness/extension-session.ts';
import { benchHomeserver } from './bench-homeserver.ts';

const MiB = 1024 * 1024;
const round = (n: number) => Math.round(n * 10) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** A 4000×3000 JPEG of noise over a gradient: about the size and entropy of a phone photo. */
async function photo(): Promise<Buffer> {
  const width = 4000;
  const height = 3000;
  const raw = Buffer.alloc(width * height * 3);
  let seed = 1;
  for (let i = 0; i < raw.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = ((i % (width * 3)) / 48 + (seed >> 24)) & 0xff;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

async function nodeThroughput(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'p2pm-media-bench-'));
  const store = await openSqliteStore(join(dir, 'hs.sqlite'), SCHEMA);
  const blobs = await openFileBlobStore(join(dir, 'media'));
  const hs = await benchHomeserver(store, {
    blobs,
    thumbnailer: sharpThumbnailer,
    config: { maxUploadBytes: 256 * MiB },
  });
  const http = await startHttpServer((req) => hs.handle(req), {
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
  });
  try {
    const register = async (auth?: object) =>
      fetch(`${http.url}/_matrix/client/v3/register`, {
        method: 'POST',
        body: JSON.stringify({ username: 'bench', password: 'bench password', ...(auth && { auth }) }),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    const first = await register();
    const { access_token: token } = await register({ type: 'm.login.dummy', session: first.session });
    const headers = { authorization: `Bearer ${token}` };
    const bytes = new Uint8Array(64 * MiB).map((_, i) => (i * 2654435761) >>> 24);
    let t0 = performance.now();
    const up = await fetch(`${http.url}/_matrix/media/v3/upload`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: bytes,
    }).then((r) => r.json() as Promise<{ content_uri: string }>);
    const uploadMs = performance.now() - t0;
    const path = up.content_uri.replace('mxc://', '/_matrix/client/v1/media/download/');
    t0 = performance.now();
    const down = new Uint8Array(await (await fetch(`${http.url}${path}`, { headers })).arrayBuffer());
    const downloadMs = performance.now() - t0;
    if (down.length !== bytes.length) throw new Error('download is not the upload');
    return {
      'node upload 64 MiB, SQLite + files (MB/s)': round(bytes.length / 1e6 / (uploadMs / 1000)),
      'node download 64 MiB (MB/s)': round(bytes.length / 1e6 / (downloadMs / 1000)),
    };
  } finally {
    await http.close();
    await hs.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function nodeThumbnails(jpeg: Buffer): Promise<Record<string, number>> {
  const time = async (spec: Parameters<typeof sharpThumbnailer.thumbnail>[2]) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const made = await sharpThumbnailer.thumbnail(jpeg, 'image/jpeg', spec);
      if (!made) throw new Error('no thumbnail');
      times.push(performance.now() - t0);
    }
    return round(median(times));
  };
  return {
    'node sharp 4000×3000 JPEG → 96×96 crop (ms)': await time({
      width: 96,
      height: 96,
      method: 'crop',
      animated: false,
    }),
    'node sharp 4000×3000 JPEG → 800×600 scale (ms)': await time({
      width: 800,
      height: 600,
      method: 'scale',
      animated: false,
    }),
  };
}

/** In the page: upload `size` bytes through the shim, download them back; times in ms. */
async function pageThroughput(args: {
  token: string;
  origin: string;
  size: number;
}): Promise<{ up: number; down: number }> {
  const { token, origin, size } = args;
  const bytes = new Uint8Array(size).map((_, i) => (i * 2654435761) >>> 24);
  const headers = { authorization: `Bearer ${token}` };
  let t0 = performance.now();
  const res = await fetch(`${origin}/_matrix/media/v3/upload`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  const { content_uri: mxc } = (await res.json()) as { content_uri: string };
  const up = performance.now() - t0;
  t0 = performance.now();
  const down = await (
    await fetch(`${origin}${mxc.replace('mxc://', '/_matrix/client/v1/media/download/')}`, { headers })
  ).arrayBuffer();
  if (down.byteLength !== size) throw new Error(`downloaded ${down.byteLength} of ${size} bytes`);
  return { up, down: performance.now() - t0 };
}

/** In the page: upload the JPEG, then time the first 96×96 thumbnail request (made by the worker). */
async function pageThumbnail(args: { token: string; origin: string; jpegBase64: string }): Promise<number> {
  const { token, origin } = args;
  const jpeg = Uint8Array.from(atob(args.jpegBase64), (c) => c.charCodeAt(0));
  const headers = { authorization: `Bearer ${token}` };
  const res = await fetch(`${origin}/_matrix/media/v3/upload`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'image/jpeg' },
    body: jpeg,
  });
  const { content_uri: mxc } = (await res.json()) as { content_uri: string };
  const t0 = performance.now();
  const thumb = await fetch(
    `${origin}${mxc.replace('mxc://', '/_matrix/client/v1/media/thumbnail/')}?width=96&height=96&method=crop`,
    { headers },
  );
  await thumb.arrayBuffer();
  if (thumb.status !== 200) throw new Error(`thumbnail: ${thumb.status}`);
  return performance.now() - t0;
}

async function browserFigures(jpeg: Buffer): Promise<Record<string, number> | string> {
  if (!existsSync(CHROMIUM_PATH)) return `skipped: needs Chromium at ${CHROMIUM_PATH}`;
  if (!existsSync(join(EXTENSION_DIR, 'manifest.json'))) return 'skipped: run npm run build first';
  const site = await startClientSite();
  const browser = await launchWithLoopbackAccess();
  try {
    await approveOrigin(browser, site.origin);
    const page = await openClientPage(browser.context, site.origin);
    const creds = await callClient(page, 'register', HOMESERVER_ORIGIN, 'bench');
    const size = 32 * MiB;
    const token = creds.accessToken;
    const { up, down } = await page.evaluate(pageThroughput, { token, origin: HOMESERVER_ORIGIN, size });
    const thumbMs = await page.evaluate(pageThumbnail, {
      token,
      origin: HOMESERVER_ORIGIN,
      jpegBase64: jpeg.toString('base64'),
    });
    return {
      'chromium upload 32 MiB through the shim into IndexedDB (MB/s)': round(size / 1e6 / (up / 1000)),
      'chromium download 32 MiB from IndexedDB through the shim (MB/s)': round(size / 1e6 / (down / 1000)),
      'chromium OffscreenCanvas 4000×3000 JPEG → 96×96 crop, first request (ms)': round(thumbMs),
    };
  } finally {
    await browser.close();
    removeProfile(browser.profileDir);
    await site.close();
  }
}

export default async function mediaBench(): Promise<Record<string, number | string>> {
  const jpeg = await photo();
  const figures: Record<string, number | string> = {
    'test photo (4000×3000 JPEG, bytes)': jpeg.length,
    ...(await nodeThroughput()),
    ...(await nodeThumbnails(jpeg)),
  };
  const browser = await browserFigures(jpeg);
  if (typeof browser === 'string') figures.chromium = browser;
  else Object.assign(figures, browser);
  return figures;
}

if (import.meta.main) {
  for (const [name, value] of Object.entries(await mediaBench())) console.log(`${name}: ${value}`);
}
