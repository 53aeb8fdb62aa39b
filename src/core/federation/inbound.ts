// What every transport does with an incoming request before and after the
// core's handler sees it, in one place so all implementations behave alike:
//  1. admit: at most `maxConcurrentPerPeer` requests from one peer and
//     `maxConcurrentTotal` from all peers in flight (more get 429), and
//     bodies held within one budget for all peers (holdBody), so neither one
//     peer nor many fresh identities can make us hold more than that;
//  2. check that the claimed `origin` is the authenticated peer (else 401);
//  3. take the request's turn in the peer's rate limit (inbound-rate.ts:
//     delayed, made to wait for one of its few turns, or 429), when the
//     transport gives one;
//  4. run the handler; its failures become a bare 500 that leaks nothing.
// Error answers are MatrixErrors, shaped by the one mapping both APIs share
// (http/respond.ts's errorBody).

import { badJson, limitExceeded, MatrixError, notJson, tooLarge, unknown } from '../errors.ts';
import { errorBody } from '../http/respond.ts';
import type { Logger } from '../ports.ts';
import type { JsonObject } from '../protocol/types.ts';
import type { FederationRateLimiter } from './inbound-rate.ts';
import {
  type FederationHandler,
  type FederationRequest,
  type FederationResponse,
  StreamedBody,
  type StreamingResponse,
  type TransportLimits,
} from './transport.ts';

/** A MatrixError as a Server-Server response: its status, and the body every API answers with. */
export function errorResponse(err: MatrixError): FederationResponse {
  return { status: err.status, body: errorBody(err) as JsonObject };
}

export const responses = {
  unauthorized: (msg: string) => errorResponse(new MatrixError(401, 'M_UNAUTHORIZED', msg)),
  tooLarge: (limit: number) => errorResponse(tooLarge(`request body exceeds ${limit} bytes`)),
  busy: () => errorResponse(limitExceeded(1000, 'too many concurrent requests')),
  tooFast: (retryAfterMs: number) =>
    errorResponse(limitExceeded(retryAfterMs, 'too many requests from this server')),
  notJson: (msg: string) => errorResponse(notJson(msg)),
  badJson: (msg: string) => errorResponse(badJson(msg)),
  internal: () => errorResponse(unknown('internal error', 500)),
  notReady: () => errorResponse(unknown('server is not ready', 503)),
};

export interface InboundGate {
  setHandler(handler: FederationHandler): void;
  /** Takes one of the peer's request slots; returns its release, or undefined when the peer or all peers are at their limit. */
  admit(fromServerName: string): (() => void) | undefined;
  /**
   * Holds `bytes` of a request body in the budget of all peers before it is
   * read; returns the release, or undefined when a body over SMALL_BODY_BYTES
   * would pass maxBodyBytesInFlight. Released when the request is answered,
   * refused or cut off (the read timeout included).
   */
  holdBody(bytes: number): (() => void) | undefined;
  /** Requests and body bytes being served now, from all peers. */
  inFlight(): { readonly requests: number; readonly bodyBytes: number };
  /** Steps 2 to 4 for an admitted request; never throws. */
  dispatch(fromServerName: string, req: FederationRequest): Promise<StreamingResponse>;
}

/** Bodies up to this size are never refused for the byte budget (a transaction of small PDUs and EDUs). */
export const SMALL_BODY_BYTES = 64 * 1024;

export function createInboundGate(
  limits: TransportLimits,
  logger?: Logger,
  rate?: FederationRateLimiter,
): InboundGate {
  const inFlight = new Map<string, number>();
  let total = 0;
  let bodyBytes = 0;
  let handler: FederationHandler | undefined;

  const admit = (from: string): (() => void) | undefined => {
    const count = inFlight.get(from) ?? 0;
    if (count >= limits.maxConcurrentPerPeer) return undefined;
    if (total >= limits.maxConcurrentTotal) {
      logger?.info('all peers at the limit of requests in flight', { from, total });
      return undefined;
    }
    inFlight.set(from, count + 1);
    total++;
    return once(() => {
      total--;
      const left = (inFlight.get(from) ?? 1) - 1;
      if (left > 0) inFlight.set(from, left);
      else inFlight.delete(from);
    });
  };

  const holdBody = (bytes: number): (() => void) | undefined => {
    if (bytes > SMALL_BODY_BYTES && bodyBytes + bytes > limits.maxBodyBytesInFlight) return undefined;
    bodyBytes += bytes;
    return once(() => {
      bodyBytes -= bytes;
    });
  };

  const dispatch = async (from: string, req: FederationRequest): Promise<StreamingResponse> => {
    if (req.origin !== from) {
      logger?.warn('federation request with a forged origin', { from, origin: req.origin, path: req.path });
      return responses.unauthorized('origin does not match the authenticated peer');
    }
    if (!handler) return responses.notReady();
    const entry = rate ? await rate.enter(from) : { release: () => {} };
    if ('retryAfterMs' in entry) {
      logger?.info('refused a federation request: over its rate limit', { from, path: req.path });
      return responses.tooFast(entry.retryAfterMs);
    }
    try {
      const res = await handler(from, req);
      if (isResponse(res)) return res;
      logger?.error('federation handler returned a malformed response', { path: req.path });
    } catch (err) {
      logger?.error('federation handler failed', { path: req.path, error: String(err) });
    } finally {
      entry.release();
    }
    return responses.internal();
  };

  return {
    setHandler: (h) => (handler = h),
    admit,
    holdBody,
    inFlight: () => ({ requests: total, bodyBytes }),
    dispatch,
  };
}

function once(release: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}

function isResponse(res: unknown): res is StreamingResponse {
  if (typeof res !== 'object' || res === null) return false;
  const { status, body, contentType } = res as { status?: unknown; body?: unknown; contentType?: unknown };
  const okStatus = typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599;
  const okBody =
    body instanceof Uint8Array ||
    (body instanceof StreamedBody && Number.isSafeInteger(body.length) && body.length >= 0) ||
    (typeof body === 'object' && body !== null && !Array.isArray(body));
  const okType = contentType === undefined || typeof contentType === 'string';
  return okStatus && okBody && okType;
}
