// Remote media over P2P between two homeservers in one process, over libp2p
// websockets on 127.0.0.1 (Noise, yamux, the federation frames): a file
// uploaded on A is downloaded by a client of B, which fetches it from A with
// the federation media API (multipart, streamed, size and SHA-256 checked)
// into its cache while serving it; then the same download from B's cache.
// MB/s are of the file's bytes as the client reads them.
//
// Then the same between two Chromiums with the extension (skipped without
// Chromium or a build), over a direct WebRTC connection: a page on A
// uploads the file, a page on B downloads it through its shim, so it crosses
// A's IndexedDB, A's worker → offscreen link (pulled in pieces), WebRTC, B's
// offscreen → worker link, B's IndexedDB cache and B's client port.
// Run alone: `node bench/run.ts remote-media` (browsers under flock, in a
// loopback-only namespace: TESTING.md).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StreamedBody } from '../src/core/public.ts';
import type { HsResponse } from '../src/core/public.ts';
import { createLibp2pCluster } from '../test/support/libp2p-cluster.ts';
import type { ClusterNode } from '../test/support/federated-cluster.ts';
import { HOMESERVER_ORIGIN } from '../src/platform/web/homeserver-url.ts';
import { CHROMIUM_PATH, EXTENSION_DIR } from '../scripts/harness/extension-browser.ts';
import { openRegisteredPeer, waitForDirectWebRTC } from '../scripts/harness/p2p-session.ts';
import { withBrowsersOnRelay } from './browsers-on-relay.ts';

const MIB = 1024 * 1024;

/** Reads a response body to its end; its size. */
async function drain(res: HsResponse): Promise<number> {
  if (res.status !== 200) throw new Error(`download failed: ${res.status} ${JSON.stringify(res.body)}`);
  if (!(res.body instanceof StreamedBody)) throw new Error('the download is not streamed');
  let size = 0;
  for await (const chunk of res.body.chunks) size += chunk.length;
  return size;
}

function get(node: ClusterNode, path: string, token: string): Promise<HsResponse> {
  return node.homeserver.handle({
    method: 'GET',
    path,
    query: {},
    headers: { authorization: `Bearer ${token}` },
  });
}

export async function websocketFigures(sizeMiB: number): Promise<Record<string, number>> {
  const cluster = await createLibp2pCluster(['a', 'b']);
  try {
    const [a, b] = cluster.nodes as unknown as [ClusterNode, ClusterNode];
    const alice = await a.register('alice');
    const bob = await b.register('bob');
    const file = new Uint8Array(sizeMiB * MIB);
    for (let i = 0; i < file.length; i += 4096) file[i] = i & 0xff;
    const uploaded = await a.homeserver.handle({
      method: 'POST',
      path: '/_matrix/media/v3/upload',
      query: { filename: 'bench.bin' },
      headers: { authorization: `Bearer ${alice.accessToken}`, 'content-type': 'application/octet-stream' },
      body: file,
    });
    const uri = (uploaded.body as { content_uri?: string }).content_uri;
    if (!uri) throw new Error(`upload failed: ${JSON.stringify(uploaded.body)}`);
    const path = `/_matrix/client/v1/media/download/${uri.slice('mxc://'.length)}`;
    const mbPerSecond = async () => {
      const t0 = performance.now();
      const size = await drain(await get(b, path, bob.accessToken));
      if (size !== file.length) throw new Error(`downloaded ${size} bytes of ${file.length}`);
      return file.length / MIB / ((performance.now() - t0) / 1000);
    };
    const remote = await mbPerSecond();
    const cached = await mbPerSecond();
    return {
      [`remote fetch A → B over libp2p websockets, ${sizeMiB} MiB (MB/s)`]: remote,
      "the same file from B's cache (MB/s)": cached,
    };
  } finally {
    await cluster.close();
  }
}

/** In a page: uploads `size` bytes made there; the mxc URI. */
async function pageUpload(args: { origin: string; token: string; size: number }): Promise<string> {
  const bytes = new Uint8Array(args.size).map((_, i) => (i * 2654435761) >>> 24);
  const res = await fetch(`${args.origin}/_matrix/media/v3/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${args.token}`, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  const { content_uri: mxc } = (await res.json()) as { content_uri: string };
  return mxc;
}

/** In a page: downloads `mxc` to its end; its size and the milliseconds it took. */
async function pageDownload(args: { origin: string; token: string; mxc: string }) {
  const t0 = performance.now();
  const res = await fetch(
    `${args.origin}${args.mxc.replace('mxc://', '/_matrix/client/v1/media/download/')}`,
    {
      headers: { authorization: `Bearer ${args.token}` },
    },
  );
  let size = 0;
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
  }
  return { status: res.status, size, ms: performance.now() - t0 };
}

export async function webrtcFigures(sizeMiB: number): Promise<Record<string, number | string>> {
  if (!existsSync(CHROMIUM_PATH))
    return { 'remote fetch over WebRTC': `skipped: needs Chromium at ${CHROMIUM_PATH}` };
  if (!existsSync(join(EXTENSION_DIR, 'manifest.json')))
    return { 'remote fetch over WebRTC': 'skipped: run npm run build first' };
  return withBrowsersOnRelay(async ({ relay, site, browsers }) => {
    const open = async (name: string) => {
      const peer = await openRegisteredPeer(site, relay.multiaddrs[0]!, name, (b) => browsers.push(b));
      return { ...peer, token: peer.creds.accessToken };
    };
    const a = await open('alice');
    const b = await open('bob');
    const origin = HOMESERVER_ORIGIN;
    // A small file first: B's node dials A, and the link becomes direct WebRTC.
    const small = await a.page.evaluate(pageUpload, { origin, token: a.token, size: 1024 });
    await b.page.evaluate(pageDownload, { origin, token: b.token, mxc: small });
    await waitForDirectWebRTC(b.browser, a.serverName);
    const size = sizeMiB * MIB;
    const mxc = await a.page.evaluate(pageUpload, { origin, token: a.token, size });
    const remote = await b.page.evaluate(pageDownload, { origin, token: b.token, mxc });
    if (remote.status !== 200 || remote.size !== size)
      throw new Error(`remote download: ${remote.status}, ${remote.size} of ${size} bytes`);
    const cached = await b.page.evaluate(pageDownload, { origin, token: b.token, mxc });
    return {
      [`remote fetch browser A → browser B over WebRTC, ${sizeMiB} MiB, through both extensions (MB/s)`]:
        size / MIB / (remote.ms / 1000),
      "the same file from B's IndexedDB cache through the shim (MB/s)": size / MIB / (cached.ms / 1000),
    };
  });
}

export default async function remoteMediaBench(sizeMiB = 32): Promise<Record<string, number | string>> {
  // Each part reports on its own: one failing leaves the other's figures.
  const part = async (name: string, run: () => Promise<Record<string, number | string>>) => {
    try {
      return await run();
    } catch (err) {
      return { [`${name}: failed`]: err instanceof Error ? err.message : String(err) };
    }
  };
  return {
    ...(await part('websockets', () => websocketFigures(sizeMiB))),
    ...(await part('WebRTC', () => webrtcFigures(sizeMiB))),
  };
}

if (import.meta.main) console.log(await remoteMediaBench(Number(process.argv[2] ?? 32)));
