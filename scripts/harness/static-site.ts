// A tiny static HTTP server on 127.0.0.1 for the pages end-to-end tests open:
// files given by path, and optionally a folder of a built web app behind them.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

export interface StaticFile {
  readonly type: string;
  readonly body: string | Uint8Array;
}

export interface StaticSite {
  /** e.g. http://127.0.0.1:41421 */
  readonly origin: string;
  close(): Promise<void>;
}

/** Content types of what built web apps ship (wasm must be application/wasm for instantiateStreaming). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The file under `root` that `pathname` names (a folder's path ending in '/'
 * is its index.html, as Element's `usercontent/` frame is asked for), or
 * undefined (outside root, absent, a folder).
 */
function fileIn(root: string, pathname: string): string | undefined {
  let relative: string;
  try {
    relative = decodeURIComponent(pathname.endsWith('/') ? `${pathname}index.html` : pathname);
  } catch {
    return undefined;
  }
  const path = normalize(join(root, relative));
  if (!path.startsWith(root + sep)) return undefined;
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serves `files` by path ('/' for the index); a path not among them is looked
 * up in `folder` when given (a built web app); anything else is a 404.
 */
export async function startStaticSite(
  files: Readonly<Record<string, StaticFile>>,
  folder?: string,
): Promise<StaticSite> {
  const root = folder === undefined ? undefined : normalize(folder);
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    const file = files[pathname];
    if (file) {
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
      return;
    }
    const path = root === undefined ? undefined : fileIn(root, pathname);
    if (!path) {
      res.writeHead(404).end();
      return;
    }
    const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    createReadStream(path).pipe(res);
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
