// One Matrix error type, turned into `{errcode, error}` and an HTTP status in
// exactly one place (http/respond.ts). Branch on errcode, never on the message.

export type ErrCode =
  | 'M_FORBIDDEN'
  | 'M_UNKNOWN_TOKEN'
  | 'M_MISSING_TOKEN'
  | 'M_USER_LOCKED'
  | 'M_BAD_JSON'
  | 'M_NOT_JSON'
  | 'M_NOT_FOUND'
  | 'M_LIMIT_EXCEEDED'
  | 'M_UNRECOGNIZED'
  | 'M_UNKNOWN'
  | 'M_UNAUTHORIZED'
  | 'M_USER_DEACTIVATED'
  | 'M_USER_IN_USE'
  | 'M_INVALID_USERNAME'
  | 'M_ROOM_IN_USE'
  | 'M_BAD_ALIAS'
  | 'M_INVALID_ROOM_STATE'
  | 'M_UNSUPPORTED_ROOM_VERSION'
  | 'M_INCOMPATIBLE_ROOM_VERSION'
  | 'M_BAD_STATE'
  | 'M_GUEST_ACCESS_FORBIDDEN'
  | 'M_MISSING_PARAM'
  | 'M_INVALID_PARAM'
  | 'M_TOO_LARGE'
  | 'M_EXCLUSIVE'
  | 'M_CANNOT_LEAVE_SERVER_NOTICE_ROOM'
  | 'M_THREEPID_IN_USE'
  | 'M_THREEPID_DENIED'
  | 'M_THREEPID_NOT_FOUND'
  | 'M_UNABLE_TO_AUTHORISE_JOIN'
  | 'M_UNABLE_TO_GRANT_JOIN'
  | 'M_NOT_YET_UPLOADED'
  | 'M_WEAK_PASSWORD'
  | 'M_INVALID_SIGNATURE'
  | 'M_WRONG_ROOM_KEYS_VERSION'
  | 'M_CANNOT_OVERWRITE_MEDIA'
  | 'M_RESOURCE_LIMIT_EXCEEDED'
  | 'M_PROFILE_TOO_LARGE'
  | 'M_KEY_TOO_LARGE';

export class MatrixError extends Error {
  override readonly name = 'MatrixError';
  readonly errcode: ErrCode;
  readonly status: number;
  /** Extra top-level fields of the error body (soft_logout, retry_after_ms, UIA flows...). */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(status: number, errcode: ErrCode, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.errcode = errcode;
    this.extra = extra;
  }
}

export const forbidden = (msg: string) => new MatrixError(403, 'M_FORBIDDEN', msg);
export const notFound = (msg: string) => new MatrixError(404, 'M_NOT_FOUND', msg);
export const badJson = (msg: string) => new MatrixError(400, 'M_BAD_JSON', msg);
export const notJson = (msg: string) => new MatrixError(400, 'M_NOT_JSON', msg);
export const missingParam = (msg: string) => new MatrixError(400, 'M_MISSING_PARAM', msg);
export const invalidParam = (msg: string) => new MatrixError(400, 'M_INVALID_PARAM', msg);
export const tooLarge = (msg: string) => new MatrixError(413, 'M_TOO_LARGE', msg);
export const unrecognized = (msg = 'Unrecognized request') => new MatrixError(404, 'M_UNRECOGNIZED', msg);
export const methodNotAllowed = (msg = 'Method not allowed') => new MatrixError(405, 'M_UNRECOGNIZED', msg);
export const missingToken = () => new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token');
export const unknownToken = (msg = 'Unknown access token', softLogout = false) =>
  new MatrixError(401, 'M_UNKNOWN_TOKEN', msg, { soft_logout: softLogout });
export const userInUse = (msg = 'User ID already taken') => new MatrixError(400, 'M_USER_IN_USE', msg);
export const invalidUsername = (msg: string) => new MatrixError(400, 'M_INVALID_USERNAME', msg);
export const roomInUse = (msg = 'Room alias already taken') => new MatrixError(400, 'M_ROOM_IN_USE', msg);
export const unsupportedRoomVersion = (msg: string) =>
  new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', msg);
export const limitExceeded = (retryAfterMs: number, msg = 'Too many requests') =>
  new MatrixError(429, 'M_LIMIT_EXCEEDED', msg, { retry_after_ms: retryAfterMs });
/** A quota that frees only when something is used up or answered (no time to wait for; retry_after_ms is optional). */
export const quotaExceeded = (msg: string) => new MatrixError(429, 'M_LIMIT_EXCEEDED', msg);
/** What any API answers for a failure it does not explain (the cause is logged, never sent). */
export const internalError = () => new MatrixError(500, 'M_UNKNOWN', 'Internal server error');
export const unknown = (msg: string, status = 400) => new MatrixError(status, 'M_UNKNOWN', msg);
