// Sync tokens: `s<stream>_<typing>`. `stream` is the global persistent stream
// position (storage/stream.ts), so tokens survive restarts; `typing` is the
// serial of the in-memory typing tracker (typing.ts), which a restart
// forgets, so an unknown typing serial only means "send typing afresh".
// The rooms module reads the `s<N>` prefix as a pagination boundary too.
import { invalidParam } from '../errors.ts';

export interface SyncToken {
  readonly stream: number;
  readonly typing: number;
}

const TOKEN = /^s(\d{1,15})_(\d{1,15})$/;

export function formatSyncToken(token: SyncToken): string {
  return `s${token.stream}_${token.typing}`;
}

/** Parses a `since` token; a malformed one is 400 M_INVALID_PARAM (a client retrying it gets the same). */
export function parseSyncToken(since: string): SyncToken {
  const match = TOKEN.exec(since);
  if (!match) throw invalidParam(`Invalid sync token: ${since.slice(0, 40)}`);
  return { stream: Number(match[1]), typing: Number(match[2]) };
}
