// Whether an event notifies a user, and whether it highlights: the one
// evaluation behind /sync's unread counts and GET /notifications. This
// server has no push rule evaluation yet, so it approximates the default
// rules (spec §13.13.1.4 "Predefined Rules"): messages, encrypted events,
// stickers and call invites from others notify, except notices and edits;
// an explicit mention of the user (m.mentions, or their user id or
// localpart in the body) highlights.
import type * as rooms from '../rooms/api.ts';

export const NOTIFYING_TYPES = ['m.room.message', 'm.room.encrypted', 'm.sticker', 'm.call.invite'];

type Content = Readonly<Record<string, unknown>>;

export interface Notification {
  readonly highlight: boolean;
}

/** The notification `event` makes for `userId`, or undefined when it makes none. */
export function notificationFor(event: rooms.ClientEvent, userId: string): Notification | undefined {
  if (event.sender === userId || !NOTIFYING_TYPES.includes(event.type)) return undefined;
  const content = event.content as Content;
  if (content.msgtype === 'm.notice') return undefined;
  const relation = content['m.relates_to'] as Content | undefined;
  if (relation?.rel_type === 'm.replace') return undefined;
  return { highlight: highlights(content, userId) };
}

/** The push actions of a notification (spec: the default rules' `notify` with their tweaks). */
export function notificationActions(notification: Notification): unknown[] {
  return notification.highlight
    ? ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }]
    : ['notify', { set_tweak: 'sound', value: 'default' }];
}

function highlights(content: Content, userId: string): boolean {
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
