// Stream tokens (see api.ts): `t<N>` from /messages and /context, and sync
// tokens `<letter><N>[_more]`, both read as "the boundary after position N".

const STREAM_TOKEN = /^[a-z]([0-9]{1,15})(?:_[A-Za-z0-9_.~-]*)?$/;

/** The stream position a token stands for; undefined when the string is not a stream token. */
export function parseStreamToken(token: string): number | undefined {
  const match = STREAM_TOKEN.exec(token);
  if (!match) return undefined;
  const n = Number(match[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The boundary token after stream position `stream` (see api.ts). */
export function makePaginationToken(stream: number): string {
  return `t${stream}`;
}
