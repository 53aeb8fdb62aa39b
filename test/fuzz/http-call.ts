// One raw HTTP request to the homeserver under test, with full control of
// method, path bytes and headers (node:http, not fetch, which normalises
// them), from a chosen loopback address (rate limits count per address: the
// fuzz traffic and the harness's own upkeep come from different ones).
import { request } from 'node:http';

export interface RawRequest {
  readonly method: string;
  /** Path and query as sent, unencoded parts included. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array;
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

export class Hang extends Error {
  override readonly name = 'Hang';
}

/** Sends `req`; rejects with Hang when no whole answer came within `hangMs`, or with the socket's error. */
export function rawCall(
  base: URL,
  req: RawRequest,
  hangMs: number,
  localAddress = '127.0.0.1',
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const out = request(
      {
        host: base.hostname,
        port: base.port,
        method: req.method,
        path: req.path,
        headers: req.headers,
        localAddress,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          });
        });
      },
    );
    const timer = setTimeout(() => {
      out.destroy();
      reject(new Hang(`no answer in ${hangMs} ms`));
    }, hangMs);
    out.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    out.end(req.body);
  });
}

/** A JSON call of the harness itself (set-up, upkeep, checks). */
export async function jsonCall(
  base: URL,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  localAddress?: string,
  // biome-ignore lint/suspicious/noExplicitAny: bodies are read field by field, as a client would.
): Promise<{ status: number; body: any }> {
  const bytes = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
  const answer = await rawCall(
    base,
    {
      method,
      path,
      headers: {
        ...(bytes && { 'content-type': 'application/json' }),
        ...(token && { authorization: `Bearer ${token}` }),
      },
      ...(bytes && { body: bytes }),
    },
    60_000,
    localAddress,
  );
  return { status: answer.status, body: answer.text ? JSON.parse(answer.text) : undefined };
}
