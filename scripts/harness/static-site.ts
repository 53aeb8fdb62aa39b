// A tiny static HTTP server on 127.0.0.1 for the pages end-to-end tests open.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StaticFile {
  readonly type: string;
  readonly body: string | Uint8Array;
}

export interface StaticSite {
  /** e.g. http://127.0.0.1:41421 */
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves `files` by path ('/' for the index); anything else is a 404. */
export async function startStaticSite(files: Readonly<Record<string, StaticFile>>): Promise<StaticSite> {
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
