// Space hierarchies over federation (spec: server-server API "Spaces",
// GET /_matrix/federation/v1/hierarchy/{roomId}?suggested_only=): served for
// rooms held here that the asking server may see (one of its users is joined,
// or the room is open: public, knockable, world readable, or restricted,
// with its allowed rooms listed so the asker can decide for its user), with
// the summaries of the children held here; and asked of other servers.
import { notFound } from '../errors.ts';
import {
  type HierarchyRoom,
  heldRoomVersion,
  joinedServers,
  localHierarchyRoom,
  openRoom,
  roomTableNames,
} from '../rooms/federation-api.ts';
import type { ReadTx } from '../storage/port.ts';
import type { FederationContext } from './context.ts';
import { fedPath } from './federation-client.ts';
import { type FederationRoute, type FederationRouteContext, ok } from './route-registry.ts';
import { V1, param } from './routes/route-helpers.ts';

/** Servers asked for one room's hierarchy, at most. */
const MAX_SERVERS = 5;
const HIERARCHY_TIMEOUT_MS = 5_000;

export function hierarchyRoutes(fed: FederationContext): FederationRoute[] {
  return [{ method: 'GET', path: `${V1}/hierarchy/{roomId}`, handler: (ctx) => serveHierarchy(fed, ctx) }];
}

/** Restricted rooms are shown with their allowed rooms: the asking server filters for its user. */
const visibleToServers = (room: HierarchyRoom) =>
  openRoom(room, async () => true).then((open) => open || room.join_rule === 'restricted');

async function seenBy(tx: ReadTx, room: HierarchyRoom, origin: string): Promise<boolean> {
  return (await joinedServers(tx, room.room_id)).has(origin) || visibleToServers(room);
}

async function serveHierarchy(fed: FederationContext, ctx: FederationRouteContext) {
  const { roomId } = ctx.params as { roomId: string };
  const suggestedOnly = param(ctx, 'suggested_only') === 'true';
  const body = await fed.store.read(roomTableNames, async (tx) => {
    if (!(await heldRoomVersion(tx, roomId))) return undefined;
    const room = await localHierarchyRoom(tx, roomId);
    if (!(await seenBy(tx, room, ctx.origin))) return undefined;
    const children: HierarchyRoom[] = [];
    const inaccessible: string[] = [];
    for (const child of room.children_state) {
      if (suggestedOnly && child.content.suggested !== true) continue;
      if (!(await heldRoomVersion(tx, child.state_key))) continue;
      const summary = await localHierarchyRoom(tx, child.state_key);
      if (await seenBy(tx, summary, ctx.origin)) children.push(summary);
      else inaccessible.push(child.state_key);
    }
    return { room, children, inaccessible_children: inaccessible };
  });
  if (!body) throw notFound(`Room ${roomId} is not known here or not open to ${ctx.origin}`);
  return ok(body as unknown as Record<string, never>);
}

/** The first answer of `servers` (untrusted: rooms/hierarchy.ts checks it), or undefined. */
export async function remoteHierarchy(
  fed: FederationContext,
  roomId: string,
  servers: readonly string[],
  suggestedOnly: boolean,
): Promise<Record<string, unknown> | undefined> {
  for (const server of [...new Set(servers)].filter((s) => s !== fed.serverName).slice(0, MAX_SERVERS)) {
    try {
      return await fed.client.get(
        server,
        V1 + fedPath`/hierarchy/${roomId}`,
        { suggested_only: String(suggestedOnly) },
        HIERARCHY_TIMEOUT_MS,
      );
    } catch (err) {
      fed.logger.info('no hierarchy from a server', { server, roomId, error: String(err) });
    }
  }
  return undefined;
}
