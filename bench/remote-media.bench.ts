// Remote media over P2P between two homeservers in one process, over libp2p
// websockets on 127.0.0.1 (Noise, yamux, the federation frames): a file
// uploaded on A is downloaded by a client of B, which fetches it from A with
// the federation media API (multipart, streamed, size and SHA-256 checked)
// into its cache while serving it; then the same download from B's cache.
// MB/s are of the file's bytes as the client reads them. Browser to browser
// over WebRTC is not measured here (see the README's remote media section).
// Run alone: `node bench/remote-media.bench.ts`.
import { StreamedBody } from '../src/core/public.ts';
import type { HsResponse } from '../src/core/public.ts';
import { createLibp2pCluster } from '../test/support/libp2p-cluster.ts';
import type { ClusterNode } from '../test/support/federated-cluster.ts';

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

export default async function remoteMediaBench(sizeMiB = 32): Promise<Record<string, number>> {
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

if (import.meta.main) console.log(await remoteMediaBench(Number(process.argv[2] ?? 32)));
