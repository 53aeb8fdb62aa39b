// Serves the platform-free homeserver over node:http: each IncomingMessage
// becomes an HsRequest (raw path, parsed query, lower-case headers, body
// bytes up to a cap, and a `closed` promise for long-polls), each HsResponse
// is written back as JSON or bytes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type HsRequest,
  type HsResponse,
  internalError,
  type Logger,
  matrixErrorResponse,
  tooLarge,
} from '../core/public.ts';

/** Bodies above this are refused before the homeserver sees them (routes set their own, lower limits). */
export const MAX_HTTP_BODY_BYTES = 64 * 1024 * 1024;

export interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port; `port` of the result says which. */
  readonly port: number;
  readonly logger: Logger;
  readonly maxBodyBytes?: number;
}

export interface HttpServer {
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections (long-polls see `closed`). */
  close(): Promise<void>;
}

export async function startHttpServer(
  handle: (req: HsRequest) => Promise<HsResponse>,
  options: HttpServerOptions,
): Promise<HttpServer> {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_HTTP_BODY_BYTES;
  const server = createServer((req, res) => {
    serve(handle, req, res, maxBodyBytes).catch((err: unknown) => {
      options.logger.error('http adapter failed', {
        message: err instanceof Error ? err.message : String(err),
      });
      if (!res.headersSent) writeResponse(res, matrixErrorResponse(internalError()));
      else res.destroy();
    });
  });
  await listen(server, options.host, options.port);
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function serve(
  handle: (req: HsRequest) => Promise<HsResponse>,
  req: IncomingMessage,
  res: ServerResponse,
  maxBodyBytes: number,
): Promise<void> {
  const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
  const body = await readBody(req, maxBodyBytes);
  if (body === 'too large') {
    writeResponse(res, matrixErrorResponse(tooLarge(`Request body is larger than ${maxBodyBytes} bytes`)));
    return;
  }
  const response = await handle(toHsRequest(req, body, closed));
  if (!res.destroyed) writeResponse(res, response);
}

function toHsRequest(req: IncomingMessage, body: Uint8Array | undefined, closed: Promise<void>): HsRequest {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1))) {
    const old = query[key];
    query[key] = old === undefined ? value : [...(typeof old === 'string' ? [old] : old), value];
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    method: req.method ?? 'GET',
    // Kept percent-encoded: the router splits on `/` before decoding (types.ts).
    path: queryAt < 0 ? url : url.slice(0, queryAt),
    query,
    headers,
    ...(body ? { body } : {}),
    closed,
  };
}

/** The body bytes (undefined when empty), or 'too large' once more than `max` bytes arrived. */
async function readBody(req: IncomingMessage, max: number): Promise<Uint8Array | undefined | 'too large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return 'too large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      req.resume();
      return 'too large';
    }
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const joined = Buffer.concat(chunks, size);
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
}

function writeResponse(res: ServerResponse, response: HsResponse): void {
  const bytes =
    response.body instanceof Uint8Array
      ? response.body
      : response.status === 204
        ? new Uint8Array(0)
        : Buffer.from(JSON.stringify(response.body ?? {}));
  const headers = { ...response.headers };
  if (response.status !== 204) headers['content-length'] = String(bytes.byteLength);
  res.writeHead(response.status, headers);
  res.end(bytes);
}
