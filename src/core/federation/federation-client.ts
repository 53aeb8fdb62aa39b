// Calls to other servers' Server-Server API over the peer transport. Every
// answer is untrusted: anything but a 200 with a JSON object body is a
// RemoteCallError that says which server failed and how, so callers can try
// another server or back off.
import type { JsonObject } from '../protocol/types.ts';
import type { FederationRequest, PeerTransport } from './transport.ts';

/** Each call gives up after this long unless told otherwise (a missing peer must not stall a room). */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** A call that got no usable answer: unreachable (`status` 0), an error status, or a body that is no object. */
export class RemoteCallError extends Error {
  override readonly name = 'RemoteCallError';
  readonly server: string;
  /** HTTP-like status; 0 when the server could not be reached or answered garbage. */
  readonly status: number;
  readonly errcode: string | undefined;

  constructor(server: string, status: number, errcode: string | undefined, message: string) {
    super(message);
    this.server = server;
    this.status = status;
    this.errcode = errcode;
  }
}

/**
 * Whether a call failed because the server refused it (an error status of
 * 4xx but 429): asking again cannot help. Any other failure is no answer
 * (unreachable, timed out, garbage, 5xx, 429), which a later call may get.
 */
export function refused(err: unknown): boolean {
  return err instanceof RemoteCallError && err.status >= 400 && err.status < 500 && err.status !== 429;
}

export type Query = Readonly<Record<string, string | readonly string[]>>;

export interface FederationClient {
  get(server: string, path: string, query?: Query, timeoutMs?: number): Promise<JsonObject>;
  put(server: string, path: string, body: JsonObject, timeoutMs?: number): Promise<JsonObject>;
  post(server: string, path: string, body: JsonObject, timeoutMs?: number): Promise<JsonObject>;
}

export function createFederationClient(transport: PeerTransport): FederationClient {
  const call = async (
    server: string,
    req: Omit<FederationRequest, 'origin'>,
    timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
  ): Promise<JsonObject> => {
    let res: Awaited<ReturnType<PeerTransport['request']>>;
    try {
      res = await transport.request(server, { ...req, origin: transport.serverName }, { timeoutMs });
    } catch (err) {
      throw new RemoteCallError(server, 0, undefined, `${req.path}: ${(err as Error).message}`);
    }
    const body = res.body;
    if (body instanceof Uint8Array || typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new RemoteCallError(server, 0, undefined, `${req.path}: the answer is not a JSON object`);
    }
    if (res.status !== 200) {
      const errcode = typeof body.errcode === 'string' ? body.errcode : undefined;
      const error = typeof body.error === 'string' ? body.error.slice(0, 300) : '';
      throw new RemoteCallError(
        server,
        res.status,
        errcode,
        `${req.path}: ${res.status} ${errcode} ${error}`,
      );
    }
    return body;
  };
  return {
    get: (server, path, query = {}, timeoutMs) => call(server, { method: 'GET', path, query }, timeoutMs),
    put: (server, path, body, timeoutMs) => call(server, { method: 'PUT', path, body }, timeoutMs),
    post: (server, path, body, timeoutMs) => call(server, { method: 'POST', path, body }, timeoutMs),
  };
}

/** Path segments are percent-encoded (room and event ids carry `!`, `$`, `:`, `/`...). */
export function fedPath(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce(
    (out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]!) : ''),
    '',
  );
}
