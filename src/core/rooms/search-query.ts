// Finding the events that hold every term of a search (spec: "Server Side
// Search"), in the rooms a user may search, from the index (search-index.ts).
//
// 1. Per room, count the index rows of each term (a key-range count): a term
//    with none means no match there; the rarest term drives.
// 2. Walk the driver's rows newest first over all rooms at once (a merge of
//    one cursor per room, each reading in batches that grow from 16), and
//    keep those that hold the other terms (a point lookup each) under an
//    allowed key. Matches come out one at a time, newest first, so a
//    `recent` page reads about as many rows as it shows: a word in most
//    messages costs what a rare one does. At most MAX_CANDIDATES rows are
//    read per search, whatever the words.
// 3. Score a match for `rank`: the sum over its terms of 1 + ln(count).
// 4. `count` is the spec's approximate count: exact when every candidate was
//    read or for one term over every key (the index's own count); else the
//    share of candidates read that matched, times all candidates.
// Every term must match (there are no operators: search-text.ts); history
// visibility and the event filter come after, in search-route.ts, on the
// events themselves.
import type { ReadTx } from '../storage/port.ts';
import { SEARCH_KEYS } from './search-text.ts';
import { type SearchRow, searchTable } from './tables.ts';

/** Index rows one search may read at most, over all rooms: its cost stays bounded whatever the words. */
export const MAX_CANDIDATES = 10_000;
const FIRST_BATCH = 16;
const MAX_BATCH = 1024;

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

/** The matches of a search, newest first over all rooms, as they are read. */
export interface MatchStream {
  /** The next match, or undefined when there is none (or the candidate budget ran out). */
  next(): Promise<Match | undefined>;
  /** The approximate count of all matches (4.), from what was read so far. */
  count(): number;
}

function termRange(roomId: string, term: string, upTo: number) {
  return { lower: [roomId, term, Number.MIN_SAFE_INTEGER], upper: [roomId, term, upTo] };
}

/** One room's driver rows, newest first, read in growing batches. */
class RoomCursor {
  readonly #tx: ReadTx;
  readonly roomId: string;
  readonly driver: string;
  readonly others: readonly string[];
  #upper: number;
  #batch: number;
  #buffer: SearchRow[] = [];
  #done = false;

  constructor(
    tx: ReadTx,
    roomId: string,
    driver: string,
    others: readonly string[],
    upper: number,
    firstBatch: number,
  ) {
    this.#tx = tx;
    this.roomId = roomId;
    this.driver = driver;
    this.others = others;
    this.#upper = upper;
    this.#batch = firstBatch;
  }

  /** The newest row not yet taken (reading the next batch when needed), or undefined when none is left. */
  async head(budget: number): Promise<SearchRow | undefined> {
    if (this.#buffer.length === 0 && !this.#done && budget > 0) {
      const limit = Math.min(this.#batch, budget);
      this.#buffer = await searchTable.query(this.#tx, {
        range: termRange(this.roomId, this.driver, this.#upper),
        reverse: true,
        limit,
      });
      this.#batch = Math.min(this.#batch * 2, MAX_BATCH);
      if (this.#buffer.length < limit) this.#done = true;
      const last = this.#buffer[this.#buffer.length - 1];
      if (last) this.#upper = last.stream - 1;
    }
    return this.#buffer[0];
  }

  take(): SearchRow {
    return this.#buffer.shift()!;
  }

  get exhausted(): boolean {
    return this.#done && this.#buffer.length === 0;
  }
}

export interface MatchOptions {
  /** Only events older than this stream position (a `recent` page after the first); the count stays as it was. */
  readonly below?: number;
  /** About how many matches the caller will take: the first batch of each room is sized for it. */
  readonly wanted: number;
}

/**
 * 1. The rarest term of a room and its count; after the first term, the
 * others are counted only up to the rarest so far (a common word's count is
 * never needed whole). undefined when a term is not in the room.
 */
async function rarestTerm(tx: ReadTx, roomId: string, terms: readonly string[], upTo: number) {
  let best: { term: string; count: number } | undefined;
  for (const term of terms) {
    const range = termRange(roomId, term, upTo);
    const count = await searchTable.count(tx, best ? { range, limit: best.count } : { range });
    if (count === 0) return undefined;
    if (!best || count < best.count) best = { term, count };
  }
  return best;
}

/** The matches of `terms` (distinct, at least one) under `codes` in the rooms of scope. */
export async function searchMatches(
  tx: ReadTx,
  scope: readonly SearchScope[],
  terms: readonly string[],
  codes: ReadonlySet<string>,
  options: MatchOptions,
): Promise<MatchStream> {
  // 1.
  const drivers: { roomId: string; term: string; upper: number }[] = [];
  let candidates = 0;
  for (const { roomId, upTo } of scope) {
    const rarest = await rarestTerm(tx, roomId, terms, upTo);
    if (!rarest) continue;
    candidates += rarest.count;
    const upper = options.below === undefined ? upTo : Math.min(upTo, options.below - 1);
    drivers.push({ roomId, term: rarest.term, upper });
  }
  const below = options.below;
  const firstBatch = Math.min(
    MAX_BATCH,
    Math.max(FIRST_BATCH, Math.ceil(options.wanted / Math.max(1, drivers.length)) + 8),
  );
  const cursors = drivers.map(
    (d) =>
      new RoomCursor(
        tx,
        d.roomId,
        d.term,
        terms.filter((t) => t !== d.term),
        d.upper,
        firstBatch,
      ),
  );
  const everyKey = codes.size === Object.keys(SEARCH_KEYS).length;
  let budget = MAX_CANDIDATES;
  let read = 0;
  let matched = 0;
  let ended = false;
  return {
    // 2.
    async next() {
      for (;;) {
        let newest: { cursor: RoomCursor; row: SearchRow } | undefined;
        for (const cursor of cursors) {
          const row = await cursor.head(budget);
          if (row && (!newest || row.stream > newest.row.stream)) newest = { cursor, row };
        }
        if (!newest) {
          ended = cursors.every((c) => c.exhausted);
          return undefined;
        }
        newest.cursor.take();
        budget -= 1;
        read += 1;
        const score = await scoreOf(tx, newest.row, newest.cursor.others, codes);
        if (score === undefined) continue;
        matched += 1;
        return { roomId: newest.row.room_id, eventId: newest.row.event_id, stream: newest.row.stream, score };
      }
    },
    // 4.
    count() {
      if (terms.length === 1 && everyKey) return candidates;
      if (ended && below === undefined) return matched;
      return read === 0 ? 0 : Math.round((candidates * matched) / read);
    },
  };
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
