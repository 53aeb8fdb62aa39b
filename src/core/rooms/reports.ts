// Reporting content (spec: "Reporting content"): an event, a room or a user,
// with a reason. There is no server administrator in P2P: the owner of the
// homeserver reads the reports (the extension's popup, Reports tab) through
// `ReportsView`. Each report keeps a copy of the reported event as the
// reporter saw it, so a later redaction does not hide what was reported.
//
// Bounds: a reporter may file REPORTS_PER_WINDOW reports per REPORT_WINDOW_MS
// (429 M_LIMIT_EXCEEDED beyond, counted in memory); the store keeps the
// newest MAX_STORED reports; a reason is at most MAX_REASON characters.
import { forbidden, invalidParam, limitExceeded, notFound } from '../errors.ts';
import { optionalInteger, optionalJsonObjectBody, optionalString, requireString } from '../http/json-body.ts';
import { requireUserId } from '../http/matrix-ids.ts';
import type { RequestContext, Route } from '../http/route.ts';
import { BoundedCache } from '../protocol/bounded-cache.ts';
import type { WriteTx } from '../storage/port.ts';
import { toClientEvent } from './client-event.ts';
import { callerOf, roomIdParam } from './route-helpers.ts';
import type { RoomsContext } from './rooms-context.ts';
import { eventRow, roomRow } from './rows.ts';
import { membersTable, REPORTS, type ReportRow, reportsTable, roomTableNames } from './tables.ts';
import { VisibilityChecker } from './visibility.ts';

export const REPORTS_PER_WINDOW = 10;
export const REPORT_WINDOW_MS = 10 * 60_000;
export const MAX_STORED = 10_000;
const MAX_REASON = 2_000;

/** A report as the owner sees it. */
export interface Report {
  readonly id: number;
  readonly kind: 'event' | 'room' | 'user';
  readonly reporter: string;
  readonly reason: string;
  readonly ts: number;
  readonly roomId?: string;
  readonly eventId?: string;
  readonly userId?: string;
  readonly score?: number;
  /** The reported event as the reporter could see it (client format). */
  readonly event?: Record<string, unknown>;
}

/** What the owner's interface (the popup) reads and does with reports. */
export interface ReportsView {
  /** The newest reports first, at most `limit`. */
  list(limit: number): Promise<Report[]>;
  dismiss(id: number): Promise<void>;
}

/** What a report route files, before the reporter and the time are added. */
type FiledReport = Pick<
  ReportRow,
  'kind' | 'reason' | 'room_id' | 'event_id' | 'user_id' | 'score' | 'event'
>;

export function reportRoutes(rooms: RoomsContext): Route[] {
  const limiter = new ReportLimiter();
  const route = (path: string, file: (ctx: RequestContext) => Promise<FiledReport>): Route => ({
    method: 'POST',
    path,
    auth: 'required',
    handler: async (ctx) => {
      const reporter = callerOf(ctx).userId;
      const now = rooms.deps.clock.now();
      limiter.take(reporter, now);
      const report = await file(ctx);
      await rooms.deps.store.write([REPORTS], (tx) => storeReport(tx, { ...report, reporter, ts: now }));
      rooms.deps.logger?.info('content reported', { kind: report.kind, reporter });
      return { body: {} };
    },
  });
  return [
    route('/_matrix/client/v3/rooms/{roomId}/report/{eventId}', (ctx) => eventReport(rooms, ctx)),
    route('/_matrix/client/v3/rooms/{roomId}/report', (ctx) => roomReport(rooms, ctx)),
    route('/_matrix/client/v3/users/{userId}/report', (ctx) => userReport(rooms, ctx)),
  ];
}

function reasonOf(body: Record<string, unknown>, required: boolean): string {
  const reason = required ? requireString(body, 'reason') : (optionalString(body, 'reason') ?? '');
  if (reason.length > MAX_REASON) throw invalidParam(`reason is longer than ${MAX_REASON} characters`);
  return reason;
}

/** POST /rooms/{roomId}/report/{eventId}: 404 unless the reporter is in the room and may see the event. */
async function eventReport(rooms: RoomsContext, ctx: RequestContext) {
  const roomId = roomIdParam(ctx);
  const eventId = ctx.params.eventId ?? '';
  const caller = callerOf(ctx);
  const body = optionalJsonObjectBody(ctx.req);
  const reason = reasonOf(body, false);
  const score = optionalInteger(body, 'score', { min: -100, max: 0 });
  const now = rooms.deps.clock.now();
  const event = await rooms.deps.store.read(roomTableNames, async (tx) => {
    const member = await membersTable.get(tx, [roomId, caller.userId]);
    const row = await eventRow(tx, eventId);
    if (member?.membership !== 'join' || !row || row.room_id !== roomId)
      throw notFound('The event was not found or you are not joined to its room');
    const checker = await VisibilityChecker.create(tx, roomId, caller.userId);
    if (!(await checker.canSee(row)))
      throw notFound('The event was not found or you are not joined to its room');
    return toClientEvent(row, now);
  });
  return {
    kind: 'event' as const,
    room_id: roomId,
    event_id: eventId,
    reason,
    ...(score !== undefined && { score }),
    event: event as unknown as Record<string, unknown>,
  };
}

/** POST /rooms/{roomId}/report: the room must be held here. */
async function roomReport(rooms: RoomsContext, ctx: RequestContext) {
  const roomId = roomIdParam(ctx);
  const reason = reasonOf(optionalJsonObjectBody(ctx.req), true);
  const room = await rooms.deps.store.read(roomTableNames, (tx) => roomRow(tx, roomId));
  if (!room) throw notFound('Unknown room');
  return { kind: 'room' as const, room_id: roomId, reason };
}

/** POST /users/{userId}/report: local users must exist (other servers' users cannot be checked here). */
async function userReport(rooms: RoomsContext, ctx: RequestContext) {
  const userId = requireUserId(ctx.params.userId ?? '');
  const reason = reasonOf(optionalJsonObjectBody(ctx.req), true);
  if (userId === callerOf(ctx).userId) throw forbidden('You cannot report yourself');
  const local = userId.endsWith(`:${rooms.deps.serverName}`);
  if (local && !(await rooms.deps.accounts.userExists(userId))) throw notFound('Unknown user');
  return { kind: 'user' as const, user_id: userId, reason };
}

/** Stores a report and drops the oldest beyond MAX_STORED. */
async function storeReport(tx: WriteTx, row: ReportRow): Promise<void> {
  await reportsTable.put(tx, row);
  const count = await reportsTable.count(tx);
  if (count <= MAX_STORED) return;
  for (const old of await reportsTable.query(tx, { limit: count - MAX_STORED })) {
    await reportsTable.delete(tx, old.id!);
  }
}

/** The owner's view over the stored reports. */
export function reportsView(rooms: RoomsContext): ReportsView {
  const { store } = rooms.deps;
  return {
    list: (limit) =>
      store.read([REPORTS], async (tx) =>
        (await reportsTable.query(tx, { reverse: true, limit })).map(toReport),
      ),
    dismiss: (id) => store.write([REPORTS], (tx) => reportsTable.delete(tx, id)),
  };
}

function toReport(row: ReportRow): Report {
  return {
    id: row.id!,
    kind: row.kind,
    reporter: row.reporter,
    reason: row.reason,
    ts: row.ts,
    ...(row.room_id !== undefined && { roomId: row.room_id }),
    ...(row.event_id !== undefined && { eventId: row.event_id }),
    ...(row.user_id !== undefined && { userId: row.user_id }),
    ...(row.score !== undefined && { score: row.score }),
    ...(row.event !== undefined && { event: row.event }),
  };
}

/** Reports per reporter in a sliding window, in memory (a restart forgets them: the window is short). */
class ReportLimiter {
  private readonly recent = new BoundedCache<string, number[]>(10_000);

  take(reporter: string, now: number): void {
    const times = (this.recent.get(reporter) ?? []).filter((t) => t > now - REPORT_WINDOW_MS);
    if (times.length >= REPORTS_PER_WINDOW) {
      throw limitExceeded(times[0]! + REPORT_WINDOW_MS - now, 'Too many reports: try again later');
    }
    times.push(now);
    this.recent.set(reporter, times);
  }
}
