// What the fuzzer accepts as an answer: a success, or an error whose body is
// `{errcode, error}` with an errcode the spec defines (Client-Server API,
// "Standard error response" and the endpoints' own) and a status the spec
// gives that errcode. A 500 is always a finding; 502 and 504 only where the
// spec or the models answer them (another server unreachable or too slow,
// media not uploaded yet).

/** errcode → the statuses it may come with. */
const SPEC_STATUSES: Readonly<Record<string, readonly number[]>> = {
  M_FORBIDDEN: [403],
  M_UNKNOWN_TOKEN: [401],
  M_MISSING_TOKEN: [401],
  M_USER_LOCKED: [401],
  M_USER_SUSPENDED: [403],
  // 405: "this type of account data is controlled by the server" (PUT account_data).
  M_BAD_JSON: [400, 405],
  M_NOT_JSON: [400],
  M_NOT_FOUND: [404],
  M_LIMIT_EXCEEDED: [429],
  // 404 unknown endpoint, 405 known endpoint and another method; 400 an unknown UIA stage.
  M_UNRECOGNIZED: [400, 404, 405],
  // 409: "a room alias with that name already exists"; 502/504: another server failed us.
  M_UNKNOWN: [400, 403, 409, 502, 504],
  M_UNAUTHORIZED: [401, 403],
  M_USER_DEACTIVATED: [403],
  M_USER_IN_USE: [400],
  M_INVALID_USERNAME: [400],
  M_ROOM_IN_USE: [400],
  M_BAD_ALIAS: [400],
  M_INVALID_ROOM_STATE: [400],
  M_UNSUPPORTED_ROOM_VERSION: [400],
  M_INCOMPATIBLE_ROOM_VERSION: [400],
  M_BAD_STATE: [400],
  M_GUEST_ACCESS_FORBIDDEN: [403],
  M_MISSING_PARAM: [400],
  M_INVALID_PARAM: [400],
  // 502: the remote file is larger than we take.
  M_TOO_LARGE: [413, 502],
  M_EXCLUSIVE: [400],
  M_CANNOT_LEAVE_SERVER_NOTICE_ROOM: [403],
  M_THREEPID_IN_USE: [400],
  M_THREEPID_DENIED: [403],
  M_THREEPID_NOT_FOUND: [400],
  M_THREEPID_AUTH_FAILED: [401],
  M_UNABLE_TO_AUTHORISE_JOIN: [400],
  M_UNABLE_TO_GRANT_JOIN: [400],
  M_NOT_YET_UPLOADED: [504],
  M_WEAK_PASSWORD: [400],
  M_INVALID_SIGNATURE: [400],
  M_WRONG_ROOM_KEYS_VERSION: [403],
  M_CANNOT_OVERWRITE_MEDIA: [409],
  M_RESOURCE_LIMIT_EXCEEDED: [403],
  M_SERVER_NOT_TRUSTED: [400],
  // Custom profile fields (v1.16).
  M_PROFILE_TOO_LARGE: [400],
  M_KEY_TOO_LARGE: [400],
};

/** Why this answer breaks the rules, or undefined when it is fine. */
export function badAnswer(status: number, body: unknown): string | undefined {
  if (!Number.isInteger(status) || status < 100 || status > 599) return `status ${status}`;
  if (status < 400) return undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return `${status} without a JSON object`;
  const { errcode, error } = body as { errcode?: unknown; error?: unknown };
  // User-interactive authentication: 401 with the flows, an errcode only when a stage failed.
  if (status === 401 && 'flows' in body && errcode === undefined) return undefined;
  if (typeof errcode !== 'string') return `${status} without an errcode`;
  if (typeof error !== 'string') return `${status} ${errcode} without an error message`;
  const statuses = SPEC_STATUSES[errcode];
  if (!statuses) return `${status} ${errcode}: not a spec errcode`;
  if (!statuses.includes(status))
    return `${status} ${errcode}: the spec gives ${errcode} ${statuses.join('/')}`;
  return undefined;
}
