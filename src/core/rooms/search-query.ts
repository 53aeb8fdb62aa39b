// Finding the events that hold every term of a search (spec: "Server Side
// Search"), in the rooms a user may search, from the index (search-index.ts).
//
// 1. Per room, count the index rows of each term: a term with none means no
//    match there; the rarest term drives.
// 2. Walk the driver's rows newest first (at most MAX_CANDIDATES over all
//    rooms) and keep those that hold the other terms (a point lookup each)
//    under an allowed key.
// 3. Score a match for `rank`: the sum over its terms of 1 + ln(count).
// Every term must match (there are no operators: search-text.ts); history
// visibility and the event filter come after, in search-route.ts, on the
// events themselves.
import type { ReadTx } from '../storage/port.ts';
import { type SearchRow, searchTable } from './tables.ts';

/** Index rows one search may read at most, over all rooms: its cost stays bounded whatever the words. */
export const MAX_CANDIDATES = 10_000;

export interface SearchScope {
  readonly roomId: string;
  /** Highest stream position the user may read in the room (their leave, for rooms they left). */
  readonly upTo: number;
}

export interface Match {
  readonly roomId: string;
  readonly eventId: string;
  readonly stream: number;
  readonly score: number;
}

export interface Matches {
  readonly matches: Match[];
  /** The candidate budget ran out: older matches may exist beyond those found. */
  readonly truncated: boolean;
}

function termRange(roomId: string, term: string, upTo: number) {
  return { lower: [roomId, term, Number.MIN_SAFE_INTEGER], upper: [roomId, term, upTo] };
}

/** Matches of `terms` (distinct, at least one) under `codes` in each room of scope, newest first per room. */
export async function findMatches(
  tx: ReadTx,
  scope: readonly SearchScope[],
  terms: readonly string[],
  codes: ReadonlySet<string>,
): Promise<Matches> {
  const matches: Match[] = [];
  let budget = MAX_CANDIDATES;
  let truncated = false;
  for (const { roomId, upTo } of scope) {
    if (budget === 0) {
      truncated = true;
      break;
    }
    // 1.
    const counts = await Promise.all(
      terms.map(async (term) => ({
        term,
        count: await searchTable.count(tx, { range: termRange(roomId, term, upTo) }),
      })),
    );
    if (counts.some((c) => c.count === 0)) continue;
    counts.sort((a, b) => a.count - b.count);
    const [driver, ...others] = counts.map((c) => c.term);
    // 2.
    const rows = await searchTable.query(tx, {
      range: termRange(roomId, driver!, upTo),
      reverse: true,
      limit: budget,
    });
    budget -= rows.length;
    if (rows.length < counts[0]!.count) truncated = true;
    for (const row of rows) {
      const score = await scoreOf(tx, row, others, codes);
      if (score !== undefined) matches.push({ roomId, eventId: row.event_id, stream: row.stream, score });
    }
  }
  return { matches, truncated };
}

/** 3. The match's score, or undefined when a term is missing or the key is not searched. */
async function scoreOf(
  tx: ReadTx,
  row: SearchRow,
  others: readonly string[],
  codes: ReadonlySet<string>,
): Promise<number | undefined> {
  if (!codes.has(row.k)) return undefined;
  let score = 1 + Math.log(row.n);
  for (const term of others) {
    const other = await searchTable.get(tx, [row.room_id, term, row.stream]);
    if (!other) return undefined;
    score += 1 + Math.log(other.n);
  }
  return score;
}
