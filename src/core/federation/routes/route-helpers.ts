// Small helpers shared by the Server-Server endpoints of room federation.
import { badJson, forbidden, notFound } from '../../errors.ts';
import type { JsonObject, RoomVersion } from '../../protocol.ts';
import {
  currentStateEvent,
  heldRoomVersion,
  joinedServers,
  roomTableNames,
} from '../../rooms/federation-api.ts';
import type { ReadTx, Store } from '../../storage/port.ts';
import type { FederationRouteContext } from '../route-registry.ts';

export const V1 = '/_matrix/federation/v1';
export const V2 = '/_matrix/federation/v2';

/** Every value of a query parameter. */
export function params(ctx: FederationRouteContext, name: string): string[] {
  const value = ctx.req.query?.[name];
  return value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
}

/** The first value of a query parameter. */
export function param(ctx: FederationRouteContext, name: string): string | undefined {
  return params(ctx, name)[0];
}

export function jsonBody(ctx: FederationRouteContext): JsonObject {
  const body = ctx.req.body;
  if (body === undefined || body instanceof Uint8Array) throw badJson('Content must be a JSON object');
  return body;
}

/**
 * A room held here whose state the requester may read: one of its users is
 * joined (spec: servers see a room's history while they are in it).
 */
export async function roomForPeer(store: Store, roomId: string, origin: string): Promise<RoomVersion> {
  const found = await store.read(roomTableNames, async (tx) => ({
    version: await heldRoomVersion(tx, roomId),
    joined: (await joinedServers(tx, roomId)).has(origin),
  }));
  if (!found.version) throw notFound(`Room ${roomId} is not known here`);
  if (!found.joined) throw forbidden(`${origin} is not in room ${roomId}`);
  return found.version;
}

/** A bounded integer query parameter. */
export function limitParam(ctx: FederationRouteContext, name: string, fallback: number, max: number): number {
  const raw = param(ctx, name);
  const value = raw !== undefined && /^\d{1,9}$/.test(raw) ? Number(raw) : fallback;
  return Math.min(Math.max(value, 0), max);
}

/** The room's current join rule (`m.room.join_rules`), if it has one. */
export async function joinRuleOf(tx: ReadTx, roomId: string): Promise<string | undefined> {
  const rule = (await currentStateEvent(tx, roomId, 'm.room.join_rules'))?.pdu.content.join_rule;
  return typeof rule === 'string' ? rule : undefined;
}
