// Room tagging (spec: "Room Tagging"): a user's tags on a room are the room
// account data `m.tag` (`{tags: {name: {order?}}}`), which /sync delivers
// like any other room account data. Only one's own tags, and only on rooms
// one has a membership in (joined, invited, left...): a tag on a room never
// seen would be a row nobody can reach.
import { badJson, forbidden, invalidParam } from '../errors.ts';
import { isJsonObject, jsonObjectBody } from '../http/json-body.ts';
import { requireRoomId, requireUserId } from '../http/matrix-ids.ts';
import type { HandlerResult, RequestContext, Route } from '../http/route.ts';
import type { ReadTx } from '../storage/port.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import { getAccountData, setAccountData } from './account-data.ts';
import type { AccountDeps } from './deps.ts';
import { param, requireSelf, V3 } from './route-helpers.ts';
import { ACCOUNT_DATA } from './tables.ts';

const TAG_TYPE = 'm.tag';
/** Bounds what one room's tags may hold (Element uses a handful). */
const MAX_TAGS = 100;
const MAX_TAG_BYTES = 255;

type Tags = Record<string, Record<string, unknown>>;

export function tagRoutes(deps: AccountDeps): Route[] {
  const all = `${V3}/user/{userId}/rooms/{roomId}/tags`;
  const one = `${all}/{tag}`;
  return [
    { method: 'GET', path: all, auth: 'required', handler: (ctx) => getTags(deps, ctx) },
    { method: 'PUT', path: one, auth: 'required', handler: (ctx) => putTag(deps, ctx) },
    { method: 'DELETE', path: one, auth: 'required', handler: (ctx) => deleteTag(deps, ctx) },
  ];
}

async function target(deps: AccountDeps, ctx: RequestContext, what: string) {
  const userId = requireUserId(param(ctx, 'userId'));
  requireSelf(ctx, userId, what);
  const roomId = requireRoomId(param(ctx, 'roomId'));
  if (!(await deps.rooms.hasMembership(userId, roomId)))
    throw forbidden(`${userId} has no membership in ${roomId}`);
  return { userId, roomId };
}

function tagName(ctx: RequestContext): string {
  const tag = param(ctx, 'tag');
  if (tag === '' || new TextEncoder().encode(tag).length > MAX_TAG_BYTES)
    throw invalidParam(`A tag name is 1 to ${MAX_TAG_BYTES} bytes`);
  return tag;
}

async function tagsOf(tx: ReadTx, userId: string, roomId: string): Promise<Tags> {
  const content = await getAccountData(tx, userId, roomId, TAG_TYPE);
  const tags = content?.tags;
  return isJsonObject(tags) ? ({ ...tags } as Tags) : {};
}

/** GET /user/{userId}/rooms/{roomId}/tags */
async function getTags(deps: AccountDeps, ctx: RequestContext): Promise<HandlerResult> {
  const { userId, roomId } = await target(deps, ctx, 'read tags');
  const tags = await deps.store.read([ACCOUNT_DATA], (tx) => tagsOf(tx, userId, roomId));
  return { body: { tags } };
}

/** PUT /user/{userId}/rooms/{roomId}/tags/{tag}: body `{order?: number}` (spec: a number in [0, 1]). */
async function putTag(deps: AccountDeps, ctx: RequestContext): Promise<HandlerResult> {
  const { userId, roomId } = await target(deps, ctx, 'add tags');
  const tag = tagName(ctx);
  const body = jsonObjectBody(ctx.req);
  const order = body.order;
  if (order !== undefined && (typeof order !== 'number' || !Number.isFinite(order)))
    throw badJson('order must be a number');
  await changeTags(deps, userId, roomId, (tags) => {
    if (!(tag in tags) && Object.keys(tags).length >= MAX_TAGS)
      throw invalidParam(`At most ${MAX_TAGS} tags on one room`);
    tags[tag] = body;
  });
  return { body: {} };
}

/** DELETE /user/{userId}/rooms/{roomId}/tags/{tag}: removing a tag that is not there succeeds. */
async function deleteTag(deps: AccountDeps, ctx: RequestContext): Promise<HandlerResult> {
  const { userId, roomId } = await target(deps, ctx, 'remove tags');
  const tag = tagName(ctx);
  await changeTags(deps, userId, roomId, (tags) => {
    delete tags[tag];
  });
  return { body: {} };
}

async function changeTags(
  deps: AccountDeps,
  userId: string,
  roomId: string,
  change: (tags: Tags) => void,
): Promise<void> {
  await deps.store.write([ACCOUNT_DATA, STREAM_TABLE], async (tx) => {
    const tags = await tagsOf(tx, userId, roomId);
    change(tags);
    await setAccountData(tx, userId, roomId, TAG_TYPE, { tags });
  });
  deps.notifier.notify({ users: [userId] });
}
