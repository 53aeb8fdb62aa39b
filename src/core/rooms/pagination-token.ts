// Stream tokens (see api.ts): `t<N>` from /messages and /context, and sync
// tokens `<letter><N>[_more]`, both read as "the boundary after position N".
// Only `t` tokens may be negative: history placed by backfill lies below 0
// (storage/stream.ts reserveBackfillPositions), and sync never goes there.

const STREAM_TOKEN = /^(?:t(-?[0-9]{1,15})|[a-z]([0-9]{1,15})(?:_[A-Za-z0-9_.~-]*)?)$/;

/** Below every position, backfilled history included: the start of any room's timeline. */
export const TIMELINE_START = -Number.MAX_SAFE_INTEGER;

/** The stream position a token stands for; undefined when the string is not a stream token. */
export function parseStreamToken(token: string): number | undefined {
  const match = STREAM_TOKEN.exec(token);
  if (!match) return undefined;
  const n = Number(match[1] ?? match[2]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The boundary token after stream position `stream` (see api.ts). */
export function makePaginationToken(stream: number): string {
  return `t${stream}`;
}
