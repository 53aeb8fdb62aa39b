// GET /_matrix/client/v1/rooms/{roomId}/hierarchy?suggested_only=&max_depth=&limit=&from=
// (spec: client-server "Spaces"): the space and its children, breadth first,
// each room once; rooms held elsewhere are asked of their `via` servers over
// federation (hierarchy.ts says what is trusted of the answers). Bounded:
// MAX_ROOMS rooms walked and MAX_REMOTE peers asked per request; `from` is
// the number of rooms already returned.
import { forbidden, invalidParam, notFound } from '../errors.ts';
import { queryBoolean, queryInteger, queryParam } from '../http/query.ts';
import type { RequestContext } from '../http/route.ts';
import type { ReadTx } from '../storage/port.ts';
import {
  type HierarchyRoom,
  checkedRemoteRoom,
  childrenOf,
  localHierarchyRoom,
  openRoom,
  userMaySee,
} from './hierarchy.ts';
import { joinedRoomIds } from './members-read.ts';
import { callerOf, roomIdParam } from './route-helpers.ts';
import type { RoomsContext } from './rooms-context.ts';
import { roomRow } from './rows.ts';
import { roomTableNames } from './tables.ts';

const MAX_ROOMS = 200;
const MAX_REMOTE = 20;
const MAX_DEPTH = 10;
const MAX_LIMIT = 100;

export async function hierarchy(rooms: RoomsContext, ctx: RequestContext): Promise<unknown> {
  const { store } = rooms.deps;
  const rootId = roomIdParam(ctx);
  const userId = callerOf(ctx).userId;
  const suggestedOnly = queryBoolean(ctx.req, 'suggested_only') ?? false;
  const maxDepth = Math.min(queryInteger(ctx.req, 'max_depth', { min: 0 }) ?? MAX_DEPTH, MAX_DEPTH);
  const limit = Math.min(queryInteger(ctx.req, 'limit', { min: 1 }) ?? 50, MAX_LIMIT);
  const fromRaw = queryParam(ctx.req, 'from');
  const from = fromRaw === undefined ? 0 : Number(/^h(\d{1,6})$/.exec(fromRaw)?.[1] ?? Number.NaN);
  if (!Number.isSafeInteger(from)) throw invalidParam('from is not a token of this hierarchy');
  const joined = new Set(await store.read(roomTableNames, (tx) => joinedRoomIds(tx, userId)));
  const isOpen = (room: HierarchyRoom) => openRoom(room, async (ids) => ids.some((id) => joined.has(id)));
  const fetched = new Map<string, HierarchyRoom>();
  let asked = 0;

  /** The summary of a room the user may see, from here or from a peer; undefined when unknown or hidden. */
  const summary = async (roomId: string, via: readonly string[]): Promise<HierarchyRoom | undefined> => {
    const local = await store.read(roomTableNames, async (tx: ReadTx) => {
      if (!(await roomRow(tx, roomId))) return undefined;
      const room = await localHierarchyRoom(tx, roomId);
      return { room, visible: await userMaySee(tx, room, userId, isOpen) };
    });
    if (local) return local.visible ? local.room : undefined;
    let remote = fetched.get(roomId);
    const federation = rooms.federation();
    if (!remote && federation && asked < MAX_REMOTE && via.length > 0) {
      asked += 1;
      const answer = await federation.remoteHierarchy(roomId, via, suggestedOnly);
      remote = checkedRemoteRoom(answer?.room, roomId);
      if (remote) {
        const children = new Set(remote.children_state.map((c) => c.state_key));
        const more = Array.isArray(answer?.children) ? answer.children : [];
        for (const child of more.slice(0, children.size)) {
          const id = (child as { room_id?: unknown })?.room_id;
          const checked =
            typeof id === 'string' && children.has(id) ? checkedRemoteRoom(child, id) : undefined;
          if (checked && !fetched.has(id as string)) fetched.set(id as string, checked);
        }
      }
    }
    return remote && (joined.has(roomId) || (await isOpen(remote))) ? remote : undefined;
  };

  const root = await summary(rootId, []);
  if (!root) {
    const held = await store.read(roomTableNames, (tx) => roomRow(tx, rootId));
    throw held ? forbidden('You may not see this space') : notFound(`Room ${rootId} is not known here`);
  }
  const out: HierarchyRoom[] = [root];
  const seen = new Set([rootId]);
  const queue = childrenOf(root, suggestedOnly).map((c) => ({ ...c, depth: 1 }));
  if (maxDepth === 0) queue.length = 0;
  while (queue.length > 0 && out.length < Math.min(MAX_ROOMS, from + limit + 1)) {
    const next = queue.shift()!;
    if (seen.has(next.roomId)) continue;
    seen.add(next.roomId);
    const room = await summary(next.roomId, next.via);
    if (!room) continue;
    out.push(room);
    if (next.depth < maxDepth)
      for (const child of childrenOf(room, suggestedOnly)) queue.push({ ...child, depth: next.depth + 1 });
  }
  const page = out.slice(from, from + limit);
  return {
    rooms: page,
    ...(out.length > from + limit && { next_batch: `h${from + limit}` }),
  };
}
