// The one place where handler results and thrown errors become HTTP responses:
// a MatrixError becomes `{errcode, error, ...extra}` with its status, anything
// else a 500 M_UNKNOWN that says nothing about its cause (the cause is logged).
// The Server-Server API answers with the same bodies (errorBody, through
// federation/inbound.ts's errorResponse); nobody writes an error body by hand.
// Every response carries the CORS headers the spec recommends (spec: "Web
// Browser Clients"), errors and preflights included.
import { internalError, MatrixError } from '../errors.ts';
import type { Logger } from '../ports.ts';
import type { HandlerResult } from './route.ts';
import { StreamedBody } from './streamed-body.ts';
import type { HsRequest, HsResponse } from './types.ts';

export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization',
};

const JSON_TYPE = { 'content-type': 'application/json' };

/** A JSON response with the CORS headers. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HsResponse {
  return { status, headers: { ...CORS_HEADERS, ...JSON_TYPE, ...lowerCaseKeys(headers) }, body };
}

/** A handler's result: JSON unless the body is bytes or a stream (then the handler sets content-type). */
export function resultResponse(result: HandlerResult): HsResponse {
  const status = result.status ?? 200;
  if (result.body instanceof Uint8Array || result.body instanceof StreamedBody) {
    return {
      status,
      headers: { ...CORS_HEADERS, ...lowerCaseKeys(result.headers ?? {}) },
      body: result.body,
    };
  }
  return jsonResponse(status, result.body, result.headers);
}

/** The answer to an OPTIONS request on any path: no endpoint logic runs (spec: "Web Browser Clients"). */
export function preflightResponse(): HsResponse {
  return { status: 204, headers: { ...CORS_HEADERS }, body: new Uint8Array(0) };
}

/** The body of a MatrixError; `extra` cannot overwrite errcode or error. */
export function errorBody(err: MatrixError): Record<string, unknown> {
  return { ...err.extra, errcode: err.errcode, error: err.message };
}

/** A MatrixError as a Client-Server response. */
export function matrixErrorResponse(err: MatrixError): HsResponse {
  // Spec v1.10+: a 429 carries Retry-After (seconds) beside retry_after_ms.
  const retryMs = err.extra.retry_after_ms;
  if (err.status === 429 && typeof retryMs === 'number')
    return jsonResponse(err.status, errorBody(err), { 'retry-after': String(Math.ceil(retryMs / 1000)) });
  return jsonResponse(err.status, errorBody(err));
}

/** Turns anything a handler threw into a response; unexpected errors are logged and hidden. */
export function errorResponse(err: unknown, logger: Logger, req?: HsRequest): HsResponse {
  if (err instanceof MatrixError) return matrixErrorResponse(err);
  logger.error('unhandled error in request handler', {
    method: req?.method,
    path: req?.path,
    name: err instanceof Error ? err.name : typeof err,
    message: err instanceof Error ? err.message : String(err),
    stack: err instanceof Error ? err.stack : undefined,
  });
  return matrixErrorResponse(internalError());
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
