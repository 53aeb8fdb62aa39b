// Finding the events that hold every term of a search (spec: "Server Side
// Search"), in the rooms a user may search, from the index (search-index.ts:
// the events table's multiEntry index `search`, whose entries are
// [room number, term, stream] and whose rows are the events themselves).
//
// 1. Per room, count the index entries of each term (a key-range count) up to
//    COUNT_CAP: a term with none means no match there; the rarest drives
//    (two past the cap: the one with fewer rows among the latest events).
//    Counting every row of a word most messages hold was most of a common
//    word's search (about 60,000 rows over 100,000 messages).
// 2. Walk the driver's rows newest first over all rooms at once (a merge of
//    one cursor per room, each reading event rows in batches that grow from
//    16), and keep those whose text holds the other terms (search-text.ts,
//    as the entries were made) under an allowed key. Matches come out one at a time, newest first, so a
//    `recent` page reads about as many rows as it shows: a word in most
//    messages costs what a rare one does. At most MAX_CANDIDATES rows are
//    read per search, whatever the words.
// 3. Score a match for `rank`: the sum over its terms of 1 + ln(count), the
//    counts taken from the event's text.
// 4. `count` is the spec's approximate count. A room's driver count is exact
//    under COUNT_CAP or when its cursor read every row; past the cap it is
//    extrapolated from the rows the cursor read: their density among the
//    room's events they span (by depth), over the span from the room's oldest
//    to its newest row of the term. One term over every key: the sum of those;
//    exact when every candidate was read; else the share of candidates read
//    that matched, times all candidates.
// Every term must match (there are no operators: search-text.ts); history
// visibility and the event filter come after, in search-route.ts, on the
// events themselves.
import type { Query, ReadTx } from '../storage/port.ts';
import { searchRoomNumber } from './search-index.ts';
import { SEARCH_KEYS, searchableText, termCounts } from './search-text.ts';
import { type EventRow, eventsTable } from './tables.ts';

/** Index rows one search may read at most, over all rooms: its cost stays bounded whatever the words. */
export const MAX_CANDIDATES = 10_000;
/** A room's count of a term is exact up to this; beyond, it is estimated (4.). */
export const COUNT_CAP = 200;
const FIRST_BATCH = 16;
const MAX_BATCH = 1024;

export interface SearchScope {
  readonly roomId: string;
  /** Highest stream position the user may read in the room (their leave, for rooms they left). */
  readonly upTo: number;
}

export interface Match {
  readonly roomId: string;
  readonly stream: number;
  readonly score: number;
  /** The matching event's row, as the index read it. */
  readonly event: EventRow;
}

/** The matches of a search, newest first over all rooms, as they are read. */
export interface MatchStream {
  /** The next match, or undefined when there is none (or the candidate budget ran out). */
  next(): Promise<Match | undefined>;
  /** The approximate count of all matches (4.), from what was read so far. */
  count(): Promise<number>;
}

function termRange(room: number, term: string, upTo: number) {
  return { lower: [room, term, Number.MIN_SAFE_INTEGER], upper: [room, term, upTo] };
}

/** A query over the events table's search index. */
const bySearch = (query: Omit<Query, 'index'>): Query => ({ index: 'search', ...query });

/** A timeline event's stream position (every row the search index holds has one). */
const streamOf = (row: EventRow): number => row.stream!;

/** One room's driver: its rarest term and that term's count (COUNT_CAP: at least that many). */
interface Driver {
  readonly roomId: string;
  /** The room's number in the index. */
  readonly room: number;
  readonly term: string;
  readonly count: number;
  readonly upTo: number;
}

/** One room's driver rows, newest first, read in growing batches. */
class RoomCursor {
  readonly #tx: ReadTx;
  readonly driver: Driver;
  readonly others: readonly string[];
  #upper: number;
  #batch: number;
  #buffer: EventRow[] = [];
  #next = 0;
  #done = false;
  /** Whether the cursor starts at the driver's newest row (a first page), not below an earlier page. */
  readonly fromTop: boolean;
  /** Rows read so far, and the newest and oldest of them. */
  fetched = 0;
  newest: EventRow | undefined;
  oldest: EventRow | undefined;

  constructor(tx: ReadTx, driver: Driver, others: readonly string[], upper: number, firstBatch: number) {
    this.#tx = tx;
    this.driver = driver;
    this.others = others;
    this.#upper = upper;
    this.#batch = firstBatch;
    this.fromTop = upper === driver.upTo;
  }

  /** Whether the buffer is empty while rows may be left: read() before peek(). */
  get wantsRead(): boolean {
    return this.#next === this.#buffer.length && !this.#done;
  }

  /** Reads the next batch (at most `budget` rows). */
  async read(budget: number): Promise<void> {
    if (budget <= 0) return;
    const limit = Math.min(this.#batch, budget);
    this.#buffer = await eventsTable.query(
      this.#tx,
      bySearch({ range: termRange(this.driver.room, this.driver.term, this.#upper), reverse: true, limit }),
    );
    this.#next = 0;
    this.#batch = Math.min(this.#batch * 2, MAX_BATCH);
    if (this.#buffer.length < limit) this.#done = true;
    const last = this.#buffer[this.#buffer.length - 1];
    if (!last) return;
    this.#upper = streamOf(last) - 1;
    this.newest ??= this.#buffer[0];
    this.oldest = last;
    this.fetched += this.#buffer.length;
  }

  /** The newest row not yet taken, if one is buffered. */
  peek(): EventRow | undefined {
    return this.#buffer[this.#next];
  }

  take(): EventRow {
    return this.#buffer[this.#next++]!;
  }

  /** Every row of the driver's range was read (and counted in `fetched`). */
  get exhausted(): boolean {
    return this.#done;
  }
}

export interface MatchOptions {
  /**
   * Only events older than this stream position (a `recent` page after the
   * first); the count stays as it was.
   */
  readonly below?: number;
  /** About how many matches the caller will take: the first batch of each room is sized for it. */
  readonly wanted: number;
}

/**
 * 1. The rarest term of a room and its count, up to COUNT_CAP; after the
 * first term, the others are counted only up to the rarest so far (a common
 * word's count is never needed whole). undefined when a term is not in the
 * room. Two terms both past the cap are told apart by their newest rows.
 */
async function rarestTerm(tx: ReadTx, roomId: string, terms: readonly string[], upTo: number) {
  const room = await searchRoomNumber(tx, roomId);
  if (room === undefined) return undefined;
  let best: Driver | undefined;
  for (const term of terms) {
    const range = termRange(room, term, upTo);
    const count = await eventsTable.count(tx, bySearch({ range, limit: best?.count ?? COUNT_CAP }));
    if (count === 0) return undefined;
    if (!best || count < best.count) best = { roomId, room, term, count, upTo };
    else if (count === COUNT_CAP && (await rarerLately(tx, room, term, best.term, upTo)))
      best = { roomId, room, term, count, upTo };
  }
  return best;
}

/** Rows that tell two common terms apart (1.). */
const SAMPLE = 32;

/**
 * Whether `term` is rarer than `than` among the room's latest events: it
 * has fewer rows than `than` since `than`'s SAMPLE-th newest (same room,
 * so the same bursts of messages for both).
 */
async function rarerLately(tx: ReadTx, room: number, term: string, than: string, upTo: number) {
  const rows = await eventsTable.query(
    tx,
    bySearch({ range: termRange(room, than, upTo), reverse: true, limit: SAMPLE }),
  );
  const since = rows[rows.length - 1]?.stream;
  if (since === undefined) return false;
  const range = { lower: [room, term, since], upper: [room, term, upTo] };
  return (await eventsTable.count(tx, bySearch({ range, limit: rows.length }))) < rows.length;
}

/**
 * 4. A room's driver count: exact under the cap or when all was read from the top, else
 * extrapolated from the rows read, measured in the room's own events (their
 * depths), not in stream positions: a room's events come in bursts among
 * other rooms', so the rows read are denser in the stream than the rest.
 */
async function driverCount(tx: ReadTx, cursor: RoomCursor): Promise<number> {
  const { driver, newest, oldest, fetched } = cursor;
  if (driver.count < COUNT_CAP) return driver.count;
  // All read from the top is the exact count; from below an earlier page it is only the rest.
  if (cursor.exhausted && cursor.fromTop) return fetched;
  if (!newest || !oldest || fetched < 2) return COUNT_CAP;
  const range = termRange(driver.room, driver.term, driver.upTo);
  const [first] = await eventsTable.query(tx, bySearch({ range, limit: 1 }));
  const [last] = await eventsTable.query(tx, bySearch({ range, limit: 1, reverse: true }));
  if (!first || !last) return COUNT_CAP;
  const [d0, d1, r0, r1] = [first.depth, last.depth, oldest.depth, newest.depth];
  if (r1 <= r0) return COUNT_CAP;
  const estimate = ((fetched - 1) * (d1 - d0)) / (r1 - r0) + 1;
  return Math.max(COUNT_CAP, Math.round(estimate));
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
  const drivers: Driver[] = [];
  for (const { roomId, upTo } of scope) {
    const rarest = await rarestTerm(tx, roomId, terms, upTo);
    if (rarest) drivers.push(rarest);
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
        d,
        terms.filter((t) => t !== d.term),
        below === undefined ? d.upTo : Math.min(d.upTo, below - 1),
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
        let newest: RoomCursor | undefined;
        for (const cursor of cursors) {
          if (cursor.wantsRead) await cursor.read(budget);
          const row = cursor.peek();
          if (row && (!newest || streamOf(row) > streamOf(newest.peek()!))) newest = cursor;
        }
        if (!newest) {
          ended = cursors.every((c) => c.exhausted);
          return undefined;
        }
        const row = newest.take();
        budget -= 1;
        read += 1;
        const score = scoreOf(row, newest.driver.term, newest.others, codes);
        if (score === undefined) continue;
        matched += 1;
        return { roomId: newest.driver.roomId, stream: streamOf(row), score, event: row };
      }
    },
    // 4.
    async count() {
      if (ended && below === undefined) return matched;
      let candidates = 0;
      for (const cursor of cursors) candidates += await driverCount(tx, cursor);
      if (terms.length === 1 && everyKey) return candidates;
      return read === 0 ? 0 : Math.round((candidates * matched) / read);
    },
  };
}

/**
 * 3. The match's score, or undefined when a term is missing or the key is
 * not searched: from the event's text, as its entries were made
 * (search-index.ts), so no other read.
 */
function scoreOf(
  row: EventRow,
  term: string,
  others: readonly string[],
  codes: ReadonlySet<string>,
): number | undefined {
  const text = searchableText(row.pdu);
  if (!text || !codes.has(text.code)) return undefined;
  const counts = termCounts(text.text);
  let score = 0;
  for (const t of [term, ...others]) {
    const count = counts.get(t);
    if (count === undefined) return undefined;
    score += 1 + Math.log(count);
  }
  return score;
}
