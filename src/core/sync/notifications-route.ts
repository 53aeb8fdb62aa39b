// GET /_matrix/client/v3/notifications (spec: "Listing Notifications"): the
// events that notified the user (notify-rules.ts, the evaluation behind the
// unread counts of /sync), newest first over all joined rooms.
// 1. `from` is the previous page's next_token: events older than it.
// 2. Per room, the newest events the user may see (history visibility) that
//    notify them, scanning at most MAX_SCANNED events a room per request.
// 3. Merged newest first, `limit` of them (`only=highlight`: highlights only);
//    `read` says the user's m.read or m.read.private receipt is at or after it.
import { invalidParam } from '../errors.ts';
import { queryInteger, queryParam } from '../http/query.ts';
import type { HandlerResult, RequestContext } from '../http/route.ts';
import * as rooms from '../rooms/api.ts';
import type { ReadTx } from '../storage/port.ts';
import { type Notification, NOTIFYING_TYPES, notificationActions, notificationFor } from './notify-rules.ts';
import { readUpTo } from './receipts.ts';
import type { SyncDeps } from './routes.ts';
import { syncTableNames } from './tables.ts';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** Events one room is scanned back per request at most (notices and edits do not notify). */
const MAX_SCANNED = 1000;

interface Found {
  readonly roomId: string;
  readonly stream: number;
  readonly event: rooms.ClientEvent;
  readonly notification: Notification;
}

export async function getNotifications(deps: SyncDeps, ctx: RequestContext): Promise<HandlerResult> {
  const caller = ctx.caller!;
  const rawFrom = queryParam(ctx.req, 'from');
  // 1.
  const from = rawFrom === undefined ? Number.MAX_SAFE_INTEGER : Number(rawFrom);
  if (!/^[0-9]{1,15}$/.test(rawFrom ?? '0')) throw invalidParam('from is not a token of /notifications');
  const limit = Math.min(queryInteger(ctx.req, 'limit', { min: 0 }) ?? DEFAULT_LIMIT, MAX_LIMIT);
  const only = queryParam(ctx.req, 'only');
  const highlightsOnly = only === 'highlight';
  const now = deps.clock.now();
  const body = await deps.store.read([...rooms.roomTableNames, ...syncTableNames], async (tx) => {
    const found: Found[] = [];
    for (const roomId of await rooms.joinedRoomIds(tx, caller.userId)) {
      found.push(...(await roomNotifications(tx, roomId, caller.userId, from, limit, highlightsOnly, now)));
    }
    // 3.
    found.sort((a, b) => b.stream - a.stream);
    const page = found.slice(0, limit);
    const notifications = [];
    for (const f of page) {
      notifications.push({
        actions: notificationActions(f.notification),
        event: f.event,
        read: f.stream <= (await readUpTo(tx, f.roomId, caller.userId)),
        room_id: f.roomId,
        ts: f.event.origin_server_ts,
      });
    }
    const last = page[page.length - 1];
    return {
      notifications,
      ...(found.length > limit && last && { next_token: String(last.stream) }),
    };
  });
  return { body };
}

/** 2. The room's newest `limit` notifications before `from`. */
async function roomNotifications(
  tx: ReadTx,
  roomId: string,
  userId: string,
  from: number,
  limit: number,
  highlightsOnly: boolean,
  now: number,
): Promise<Found[]> {
  const found: Found[] = [];
  let toStream = from - 1;
  let scanned = 0;
  while (found.length < limit + 1 && scanned < MAX_SCANNED && toStream > 0) {
    const slice = await rooms.timelineSlice(tx, roomId, {
      toStream,
      limit: Math.min(100, MAX_SCANNED - scanned),
      backwards: true,
      now,
      viewer: { userId },
      filter: { types: NOTIFYING_TYPES, not_senders: [userId] },
    });
    for (const { stream, event } of [...slice.events].reverse()) {
      const notification = notificationFor(event, userId);
      if (notification && (!highlightsOnly || notification.highlight))
        found.push({ roomId, stream, event, notification });
    }
    scanned += slice.events.length;
    const oldest = slice.events[0];
    if (!slice.limited || !oldest) break;
    toStream = oldest.stream - 1;
  }
  return found;
}
