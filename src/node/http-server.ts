// Serves the platform-free homeserver over node:http: each IncomingMessage
// becomes an HsRequest (raw path, parsed query, lower-case headers, the body
// as a stream the router reads up to the route's limit, and a `closed` promise
// for long-polls), each HsResponse is written back as JSON, bytes, or a
// streamed body written as the socket drains (media).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  type HsRequest,
  type HsResponse,
  internalError,
  type Logger,
  matrixErrorResponse,
  StreamedBody,
  tooLarge,
  unknown,
} from '../core/public.ts';

/** A declared Content-Length above this is refused before the homeserver sees it (routes set their own limits). */
export const MAX_HTTP_BODY_BYTES = 4 * 1024 * 1024 * 1024;

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
  server.on('clientError', answerClientError);
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

/**
 * A request Node's parser refused (malformed, or a request line and headers
 * past its 16 KiB) gets a Matrix error like any other, not Node's bare
 * `400 Bad Request`: 413 M_TOO_LARGE for the size, 400 M_UNKNOWN otherwise.
 */
function answerClientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const large = err.code === 'HPE_HEADER_OVERFLOW';
  const error = large
    ? tooLarge('The request line and headers are larger than 16 KiB')
    : unknown('Malformed HTTP request');
  const response = matrixErrorResponse(error);
  // An answer to HEAD has no body, even an error's (its Content-Length still says what GET would get).
  const headOnly = err.rawPacket?.toString('latin1', 0, 5) === 'HEAD ';
  const body = JSON.stringify(response.body);
  const head = Object.entries({
    ...response.headers,
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${response.status} ${large ? 'Content Too Large' : 'Bad Request'}\r\n${head}\r\n${headOnly ? '' : body}`,
  );
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
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBodyBytes) {
    req.resume();
    writeResponse(res, matrixErrorResponse(tooLarge(`Request body is larger than ${maxBodyBytes} bytes`)));
    return;
  }
  const response = await handle(toHsRequest(req, closed));
  // Whatever of the body the route did not read (an error, a 404) is discarded, not left in the socket.
  req.resume();
  if (res.destroyed) return;
  if (response.body instanceof StreamedBody) await writeStreamed(res, response, response.body);
  else writeResponse(res, response);
}

function toHsRequest(req: IncomingMessage, closed: Promise<void>): HsRequest {
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
    // Rate limits count per remote address (behind a reverse proxy, all its clients share one).
    client: `ip:${req.socket.remoteAddress ?? 'unknown'}`,
    // Streamed: the router reads it whole, up to the route's limit, or the route
    // (a media upload) takes it chunk by chunk.
    bodyStream: req as AsyncIterable<Uint8Array>,
    closed,
  };
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

/**
 * A body from the media store, written chunk by chunk as the socket drains.
 * A failure half-way destroys the socket: the client sees a short body
 * against its Content-Length, never a complete-looking wrong one.
 */
async function writeStreamed(res: ServerResponse, response: HsResponse, body: StreamedBody): Promise<void> {
  res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length) });
  try {
    for await (const chunk of body.chunks) {
      if (res.destroyed) return;
      if (!res.write(chunk))
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.once('drain', done);
          res.once('close', done);
        });
    }
    res.end();
  } catch {
    res.destroy();
  }
}
