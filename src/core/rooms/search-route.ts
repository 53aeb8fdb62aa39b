// POST /_matrix/client/v3/search (spec: "Server Side Search"): room events
// of the caller's rooms holding every word of `search_term`.
// 1. The rooms searched: those the caller is joined to, and with
//    `include_leave` those they left or were banned from (up to that
//    moment), narrowed by filter.rooms / not_rooms.
// 2. Matches from the index (search-query.ts), newest first; then each
//    event must pass the filter and history visibility at the event, as
//    /messages applies it. `count` is the spec's "approximate count": the
//    matches in the rooms searched before the filter and history visibility,
//    as Synapse counts (search-query.ts says how it is estimated).
// 3. Order and the page after `next_batch`: recent takes matches as they
//    come, older than the token's position, until the page is full; rank
//    orders the newest RANKED matches by score, then newest, and pages by
//    offset. Then the page's events with context, profiles, room state and
//    groups as asked.
import { eventAllowed } from '../events/filter-match.ts';
import { jsonObjectBody } from '../http/json-body.ts';
import { queryParam } from '../http/query.ts';
import type { Caller, RequestContext } from '../http/route.ts';
import type { ReadTx } from '../storage/port.ts';
import { type ClientEvent, formatRows } from './client-event.ts';
import { makePaginationToken } from './pagination-token.ts';
import { callerOf } from './route-helpers.ts';
import type { RoomsContext } from './rooms-context.ts';
import { eventRow } from './rows.ts';
import { type Match, type MatchStream, type SearchScope, searchMatches } from './search-query.ts';
import { parseNextBatch, parseSearchBody, type SearchRequest } from './search-request.ts';
import { searchableText, terms } from './search-text.ts';
import { type GroupCache, stateEntryIn } from './state-groups.ts';
import { currentStateIds, stateIdsAtStream } from './state-read.ts';
import { type EventRow, membersTable, roomTableNames } from './tables.ts';
import { scanTimeline } from './timeline-read.ts';
import { VisibilityChecker } from './visibility.ts';

const MAX_STREAM = Number.MAX_SAFE_INTEGER;
/**
 * Matches `rank` orders at most: the newest this many. Reading every match of
 * a word most messages hold took hundreds of milliseconds over 100,000 events
 * (bench/search.bench.ts); the best-scored among the newest 500 is what a
 * person scrolling results sees anyway.
 */
export const RANKED = 200;

const noMatches: MatchStream = { next: async () => undefined, count: async () => 0 };

interface Found {
  readonly match: Match;
  readonly row: EventRow;
}

export async function search(rooms: RoomsContext, ctx: RequestContext): Promise<unknown> {
  const request = parseSearchBody(jsonObjectBody(ctx.req));
  if (!request) return { search_categories: {} };
  const from = parseNextBatch(queryParam(ctx.req, 'next_batch'), request.orderBy);
  const caller = callerOf(ctx);
  const now = rooms.deps.clock.now();
  const roomEvents = await rooms.deps.store.read(roomTableNames, (tx) =>
    searchRoomEvents(tx, caller, request, from, now),
  );
  return { search_categories: { room_events: roomEvents } };
}

async function searchRoomEvents(
  tx: ReadTx,
  caller: Caller,
  request: SearchRequest,
  from: number | undefined,
  now: number,
): Promise<Record<string, unknown>> {
  // 1.
  const scope = await searchScope(tx, caller.userId, request);
  // 2.
  const recent = request.orderBy === 'recent';
  const stream =
    request.terms.length === 0 || scope.length === 0
      ? noMatches
      : await searchMatches(tx, scope, request.terms, request.codes, {
          ...(recent && from !== undefined ? { below: from } : {}),
          wanted: recent ? request.limit + 1 : RANKED,
        });
  // 3.
  const source = recent ? stream : await ranked(stream, from ?? 0);
  const checkers = new Checkers(tx, caller.userId);
  const { page, next } = await visiblePage(checkers, request, source);
  const events = await formatRows(
    tx,
    page.map((f) => f.row),
    now,
    caller,
  );
  const results = [];
  for (const [i, f] of page.entries()) {
    const result: Record<string, unknown> = { rank: f.match.score, result: events[i] };
    if (request.context) result.context = await eventContext(tx, caller, checkers, f.row, request, now);
    results.push(result);
  }
  const body: Record<string, unknown> = {
    count: await stream.count(),
    highlights: highlights(request.terms, page),
    results,
  };
  const last = page[page.length - 1];
  const nextBatch = next !== undefined && last ? (recent ? `s${last.match.stream}` : `r${next}`) : undefined;
  if (nextBatch) body.next_batch = nextBatch;
  if (request.includeState) body.state = await roomStates(tx, caller.userId, page, now);
  if (request.groupBy.length > 0) body.groups = groups(request, page, nextBatch);
  return body;
}

/** 1. The rooms searched, with how far the caller may read in each. */
async function searchScope(tx: ReadTx, userId: string, request: SearchRequest): Promise<SearchScope[]> {
  const rows = await membersTable.query(tx, {
    index: 'user_stream',
    range: { lower: [userId, Number.MIN_SAFE_INTEGER], upper: [userId, MAX_STREAM] },
  });
  const scope: SearchScope[] = [];
  for (const row of rows) {
    const filter = request.filter;
    if (filter?.rooms && !filter.rooms.includes(row.room_id)) continue;
    if (filter?.not_rooms?.includes(row.room_id)) continue;
    if (row.membership === 'join') scope.push({ roomId: row.room_id, upTo: MAX_STREAM });
    else if (request.includeLeave && (row.membership === 'leave' || row.membership === 'ban'))
      scope.push({ roomId: row.room_id, upTo: row.stream });
  }
  return scope;
}

/** 3. The newest RANKED matches by score, then newest, from offset `start` (with each one's offset). */
async function ranked(stream: MatchStream, start: number): Promise<MatchStream & { offset(): number }> {
  const all: Match[] = [];
  while (all.length < RANKED) {
    const match = await stream.next();
    if (!match) break;
    all.push(match);
  }
  all.sort((a, b) => b.score - a.score || b.stream - a.stream);
  let i = start;
  return { next: async () => all[i++], count: () => stream.count(), offset: () => i - 1 };
}

/**
 * The caller's visibility checker of each room, made once per search: the
 * page and every result's context share its cached state lookups.
 */
class Checkers {
  readonly #tx: ReadTx;
  readonly #userId: string;
  readonly #byRoom = new Map<string, Promise<VisibilityChecker>>();
  /** State groups read for the results' profiles. */
  readonly groups: GroupCache = new Map();

  constructor(tx: ReadTx, userId: string) {
    this.#tx = tx;
    this.#userId = userId;
  }

  of(roomId: string): Promise<VisibilityChecker> {
    let checker = this.#byRoom.get(roomId);
    if (!checker) {
      checker = VisibilityChecker.create(this.#tx, roomId, this.#userId);
      this.#byRoom.set(roomId, checker);
    }
    return checker;
  }
}

/**
 * 2. The page: matches in order whose events pass the filter and history
 * visibility, `limit` of them; `next` (an offset, for rank) is where the
 * next page starts when another visible match follows.
 */
async function visiblePage(
  checkers: Checkers,
  request: SearchRequest,
  source: MatchStream & { offset?(): number },
): Promise<{ page: Found[]; next?: number }> {
  const page: Found[] = [];
  for (let match = await source.next(); match; match = await source.next()) {
    const row = match.event;
    if (row.redacted_by !== undefined || !eventAllowed(request.filter, row.pdu)) continue;
    if (!(await (await checkers.of(match.roomId)).canSee(row))) continue;
    if (page.length === request.limit) return { page, next: source.offset?.() ?? 0 };
    page.push({ match, row });
  }
  return { page };
}

/** The words of the results that match the search's terms, as written, with the terms themselves. */
function highlights(searchTerms: readonly string[], page: readonly Found[]): string[] {
  const wanted = new Set(searchTerms);
  const words = new Set(searchTerms);
  for (const { row } of page) {
    const text = searchableText(row.pdu)?.text ?? '';
    for (const word of text.match(/[\p{L}\p{N}\p{M}]+/gu) ?? []) {
      if (terms(word).some((t) => wanted.has(t))) words.add(word);
    }
  }
  return [...words];
}

/** The events around a result, as /context gives them, with the senders' profiles when asked. */
async function eventContext(
  tx: ReadTx,
  caller: Caller,
  checkers: Checkers,
  row: EventRow,
  request: SearchRequest,
  now: number,
): Promise<Record<string, unknown>> {
  const { before: beforeLimit, after: afterLimit, includeProfile } = request.context!;
  const checker = await checkers.of(row.room_id);
  const member = await membersTable.get(tx, [row.room_id, caller.userId]);
  const bound = member && member.membership !== 'join' ? member.stream : MAX_STREAM;
  const accept = (r: EventRow) => checker.canSee(r);
  const stream = row.stream!;
  const before = await scanTimeline(tx, row.room_id, {
    fromStream: Number.MIN_SAFE_INTEGER,
    toStream: stream - 1,
    limit: beforeLimit,
    backwards: true,
    accept,
  });
  const after = await scanTimeline(tx, row.room_id, {
    fromStream: stream,
    toStream: bound,
    limit: afterLimit,
    backwards: false,
    accept,
  });
  const oldest = before.rows[before.rows.length - 1] ?? row;
  const newest = after.rows[after.rows.length - 1] ?? row;
  const context: Record<string, unknown> = {
    start: makePaginationToken(oldest.stream! - 1),
    end: makePaginationToken(newest.stream!),
    events_before: await formatRows(tx, before.rows, now, caller),
    events_after: await formatRows(tx, after.rows, now, caller),
  };
  if (includeProfile) {
    const senders = new Set([row, ...before.rows, ...after.rows].map((r) => r.sender));
    context.profile_info = await profiles(tx, row, senders, checkers.groups);
  }
  return context;
}

/**
 * Displayname and avatar of each sender from their member event in the state
 * after the result (looked up alone, not the whole state: groups cached per search).
 */
async function profiles(tx: ReadTx, row: EventRow, senders: ReadonlySet<string>, groups: GroupCache) {
  const out: Record<string, { displayname?: string; avatar_url?: string }> = {};
  for (const sender of senders) {
    const memberId =
      (await stateEntryIn(tx, row.sg_after, 'm.room.member', sender, groups)) ??
      (await memberEventId(tx, row.room_id, sender));
    const member = memberId === undefined ? undefined : await eventRow(tx, memberId);
    const { displayname, avatar_url: avatarUrl } = member?.pdu.content ?? {};
    out[sender] = {
      ...(typeof displayname === 'string' && { displayname }),
      ...(typeof avatarUrl === 'string' && { avatar_url: avatarUrl }),
    };
  }
  return out;
}

async function memberEventId(tx: ReadTx, roomId: string, userId: string): Promise<string | undefined> {
  return (await membersTable.get(tx, [roomId, userId]))?.event_id;
}

/** include_state: each result room's state, current or as of the caller's leave. */
async function roomStates(tx: ReadTx, userId: string, page: readonly Found[], now: number) {
  const state: Record<string, ClientEvent[]> = {};
  for (const roomId of new Set(page.map((f) => f.match.roomId))) {
    const member = await membersTable.get(tx, [roomId, userId]);
    const ids =
      member?.membership === 'join'
        ? await currentStateIds(tx, roomId)
        : await stateIdsAtStream(tx, roomId, member?.stream ?? 0);
    const rows = [];
    for (const id of ids.values()) {
      const r = await eventRow(tx, id);
      if (r) rows.push(r);
    }
    state[roomId] = await formatRows(tx, rows, now);
  }
  return state;
}

/** groupings: the page's results by room or sender, groups in order of their best result. */
function groups(request: SearchRequest, page: readonly Found[], nextBatch: string | undefined) {
  const out: Record<string, Record<string, { results: string[]; order: number; next_batch?: string }>> = {};
  for (const key of request.groupBy) {
    const byValue: Record<string, { results: string[]; order: number; next_batch?: string }> = {};
    for (const { row } of page) {
      const value = key === 'room_id' ? row.room_id : row.sender;
      const group = byValue[value] ?? { results: [], order: Object.keys(byValue).length + 1 };
      byValue[value] = group;
      group.results.push(row.event_id);
      if (nextBatch) group.next_batch = nextBatch;
    }
    out[key] = byValue;
  }
  return out;
}
