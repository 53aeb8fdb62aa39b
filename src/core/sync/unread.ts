// unread_notifications of joined rooms. This server has no push rule
// evaluation yet, so it approximates the default rules (spec §13.13.1.4
// "Predefined Rules"): messages, encrypted events, stickers and call invites
// from others notify, except notices and edits; an explicit mention of the
// user (m.mentions, or their user id or localpart in the body) highlights.
// Counting starts after the user's read receipt, or after their own latest
// event if that is later (sending implies having read what came before).
import * as rooms from '../rooms/api.ts';
import { readUpTo } from './receipts.ts';
import type { SyncContext } from './sync-context.ts';

/** Counting stops here; clients show large counts as "99+" anyway. */
export const MAX_COUNTED = 100;

const NOTIFYING_TYPES = ['m.room.message', 'm.room.encrypted', 'm.sticker', 'm.call.invite'];

export interface UnreadCounts {
  notification_count: number;
  highlight_count: number;
}

type Content = Readonly<Record<string, unknown>>;

function notifies(event: rooms.ClientEvent): boolean {
  const content = event.content as Content;
  if (content.msgtype === 'm.notice') return false;
  const relation = content['m.relates_to'] as Content | undefined;
  return relation?.rel_type !== 'm.replace';
}

function highlights(event: rooms.ClientEvent, userId: string): boolean {
  const content = event.content as Content;
  const mentions = content['m.mentions'] as Content | undefined;
  if (mentions !== undefined) return Array.isArray(mentions.user_ids) && mentions.user_ids.includes(userId);
  if (typeof content.body !== 'string') return false;
  const body = content.body.toLowerCase();
  const localpart = userId.slice(1, userId.indexOf(':')).toLowerCase();
  return (
    body.includes(userId.toLowerCase()) || new RegExp(`(^|\\W)${escapeRegExp(localpart)}(\\W|$)`).test(body)
  );
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The counts for one room, at the context's position. */
export async function unreadCounts(ctx: SyncContext, roomId: string): Promise<UnreadCounts> {
  const readPosition = await readUpTo(ctx.tx, roomId, ctx.userId);
  const slice = await rooms.timelineSlice(ctx.tx, roomId, {
    fromStream: readPosition,
    toStream: ctx.position,
    limit: MAX_COUNTED,
    backwards: true,
    now: ctx.now,
    filter: { types: NOTIFYING_TYPES },
    // Without a receipt, history visibility keeps out what came before the user joined.
    ...(readPosition === 0 ? { viewer: { userId: ctx.userId } } : {}),
  });
  const counts: UnreadCounts = { notification_count: 0, highlight_count: 0 };
  for (let i = slice.events.length - 1; i >= 0; i--) {
    const event = slice.events[i]!.event;
    if (event.sender === ctx.userId) break;
    if (!notifies(event)) continue;
    counts.notification_count += 1;
    if (highlights(event, ctx.userId)) counts.highlight_count += 1;
  }
  return counts;
}
