// Calls the homeserver's own client-server API from inside the background, as
// a client would over the content-script port: the popup's account and alias
// features go through the same routes, checks and permissions as Element.
import type { Homeserver } from '../../src/core/public.ts';
import { POPUP_CLIENT } from '../worker/client-names.ts';

/** The homeserver answered with a Matrix error; `name` is its errcode (M_USER_IN_USE, M_FORBIDDEN, …). */
export class HomeserverRequestError extends Error {
  readonly status: number;
  constructor(errcode: string, message: string, status: number) {
    super(message);
    this.name = errcode;
    this.status = status;
  }
}

export type HomeserverHandle = Pick<Homeserver, 'handle'>;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field and checked where used.
export type Json = any;

export interface HsCall {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Percent-encoded path, without a query string. */
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly accessToken?: string;
}

/** One request; a 2xx body is returned, anything else is thrown as HomeserverRequestError. */
export async function callHomeserver(hs: HomeserverHandle, call: HsCall): Promise<Json> {
  const { status, body } = await callHomeserverRaw(hs, call);
  if (status >= 200 && status < 300) return body;
  throw homeserverError(status, body);
}

/** The error a non-2xx answer stands for. */
export function homeserverError(status: number, body: Json): HomeserverRequestError {
  const errcode = typeof body?.errcode === 'string' ? body.errcode : 'M_UNKNOWN';
  const error = typeof body?.error === 'string' ? body.error : `the homeserver answered ${status}`;
  return new HomeserverRequestError(errcode, error, status);
}

/** One request with its status, for flows where a non-2xx answer is a step (user-interactive auth). */
export async function callHomeserverRaw(
  hs: HomeserverHandle,
  call: HsCall,
): Promise<{ status: number; body: Json }> {
  const bytes = call.body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(call.body));
  const res = await hs.handle({
    method: call.method,
    path: call.path,
    query: call.query ?? {},
    headers: {
      ...(bytes ? { 'content-type': 'application/json' } : {}),
      ...(call.accessToken ? { authorization: `Bearer ${call.accessToken}` } : {}),
    },
    ...(bytes ? { body: bytes } : {}),
    client: POPUP_CLIENT,
  });
  const body = res.body instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(res.body)) : res.body;
  return { status: res.status, body };
}
