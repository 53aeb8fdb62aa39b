// The Server-Server endpoints that serve a room's DAG to its other servers
// (spec: server-server API "Retrieving events", "Backfilling and retrieving
// missing events", "Room State Resolution"). Only servers in the room may
// read it, and rejected events are never served. The events of its history
// (`/event`, `/backfill`, `/get_missing_events`) are served as the requesting
// server may see them under the room's history visibility: pruned where it
// may not (rooms' ServerVisibilityChecker). State and auth chains are served
// whole, as Synapse does: a server in the room needs them to check events.
import { badJson, missingParam, notFound } from '../../errors.ts';
import {
  type JsonObject,
  type JsonValue,
  type RoomVersion,
  pduFromRoomEvent,
  redactEvent,
} from '../../protocol.ts';
import {
  type EventRow,
  ServerVisibilityChecker,
  roomTableNames,
  stateOfGroup,
} from '../../rooms/federation-api.ts';
import type { ReadTx } from '../../storage/port.ts';
import type { FederationContext } from '../context.ts';
import { authChain, backfill, missingEvents, servableRow, servableRows } from '../event-graph.ts';
import { type FederationRoute, type FederationRouteContext, ok } from '../route-registry.ts';
import { V1, jsonBody, limitParam, param, params, roomForPeer } from './route-helpers.ts';

const MAX_BATCH = 100;

export function roomReadRoutes(fed: FederationContext): FederationRoute[] {
  return [
    { method: 'GET', path: `${V1}/event/{eventId}`, handler: (ctx) => getEvent(fed, ctx) },
    { method: 'GET', path: `${V1}/state/{roomId}`, handler: (ctx) => getState(fed, ctx, false) },
    { method: 'GET', path: `${V1}/state_ids/{roomId}`, handler: (ctx) => getState(fed, ctx, true) },
    { method: 'GET', path: `${V1}/event_auth/{roomId}/{eventId}`, handler: (ctx) => getEventAuth(fed, ctx) },
    { method: 'GET', path: `${V1}/backfill/{roomId}`, handler: (ctx) => getBackfill(fed, ctx) },
    { method: 'POST', path: `${V1}/get_missing_events/{roomId}`, handler: (ctx) => getMissing(fed, ctx) },
  ];
}

const wire = (version: RoomVersion) => (event: EventRow['pdu']) =>
  pduFromRoomEvent(event, version) as unknown as JsonObject;

/**
 * The rows as `origin` may see them, in wire form: whole, or pruned by the
 * redaction algorithm where history visibility hides them from it (the
 * hashes then fail, and the requester keeps the event redacted).
 */
async function asSeenBy(
  tx: ReadTx,
  roomId: string,
  origin: string,
  version: RoomVersion,
  rows: readonly EventRow[],
): Promise<JsonObject[]> {
  const checker = await ServerVisibilityChecker.create(tx, roomId, origin);
  const out: JsonObject[] = [];
  for (const row of rows) {
    const event = (await checker.canSee(row)) ? row.pdu : redactEvent(row.pdu, version);
    out.push(wire(version)(event));
  }
  return out;
}

/** A servable event of the room, or 404 (the same for unknown, rejected and other rooms' events). */
async function eventIn(tx: ReadTx, roomId: string, eventId: string): Promise<EventRow> {
  const row = await servableRow(tx, eventId);
  if (!row || row.room_id !== roomId) throw notFound(`Event ${eventId} not found`);
  return row;
}

/** GET /_matrix/federation/v1/event/{eventId} */
async function getEvent(fed: FederationContext, ctx: FederationRouteContext) {
  const eventId = ctx.params.eventId!;
  const row = await fed.store.read(roomTableNames, (tx) => servableRow(tx, eventId));
  if (!row) throw notFound(`Event ${eventId} not found`);
  const version = await roomForPeer(fed.store, row.room_id, ctx.origin);
  const pdus = await fed.store.read(roomTableNames, (tx) =>
    asSeenBy(tx, row.room_id, ctx.origin, version, [row]),
  );
  return ok({ origin: fed.serverName, origin_server_ts: fed.clock.now(), pdus });
}

/** GET /_matrix/federation/v1/state[_ids]/{roomId}?event_id=: the state before the event and its auth chain. */
async function getState(fed: FederationContext, ctx: FederationRouteContext, idsOnly: boolean) {
  const roomId = ctx.params.roomId!;
  const eventId = param(ctx, 'event_id');
  if (eventId === undefined) throw missingParam('Missing query parameter event_id');
  const version = await roomForPeer(fed.store, roomId, ctx.origin);
  const { state, chain } = await fed.store.read(roomTableNames, async (tx) => {
    const row = await eventIn(tx, roomId, eventId);
    if (row.outlier) throw notFound(`The state at ${eventId} is not known here`);
    const ids = [...(await stateOfGroup(tx, row.sg_before)).values()];
    const rows = await servableRows(tx, ids);
    return { state: [...rows.values()].map((r) => r.pdu), chain: await authChain(tx, ids, version, rows) };
  });
  if (idsOnly) {
    return ok({ pdu_ids: state.map((e) => e.event_id), auth_chain_ids: chain.map((e) => e.event_id) });
  }
  return ok({ pdus: state.map(wire(version)), auth_chain: chain.map(wire(version)) });
}

/** GET /_matrix/federation/v1/event_auth/{roomId}/{eventId} */
async function getEventAuth(fed: FederationContext, ctx: FederationRouteContext) {
  const roomId = ctx.params.roomId!;
  const version = await roomForPeer(fed.store, roomId, ctx.origin);
  const chain = await fed.store.read(roomTableNames, async (tx) => {
    await eventIn(tx, roomId, ctx.params.eventId!);
    return authChain(tx, [ctx.params.eventId!], version);
  });
  return ok({ auth_chain: chain.map(wire(version)) });
}

/** GET /_matrix/federation/v1/backfill/{roomId}?v=&limit= */
async function getBackfill(fed: FederationContext, ctx: FederationRouteContext) {
  const roomId = ctx.params.roomId!;
  const from = params(ctx, 'v');
  if (from.length === 0) throw missingParam('Missing query parameter v');
  const limit = limitParam(ctx, 'limit', 10, MAX_BATCH);
  const version = await roomForPeer(fed.store, roomId, ctx.origin);
  const pdus = await fed.store.read(roomTableNames, async (tx) =>
    asSeenBy(tx, roomId, ctx.origin, version, await backfill(tx, roomId, from.slice(0, 20), limit)),
  );
  return ok({ origin: fed.serverName, origin_server_ts: fed.clock.now(), pdus });
}

function idArray(body: JsonObject, key: string): string[] {
  const value: JsonValue | undefined = body[key];
  if (!Array.isArray(value) || value.length > MAX_BATCH || !value.every((v) => typeof v === 'string')) {
    throw badJson(`${key} must be an array of at most ${MAX_BATCH} event ids`);
  }
  return value as string[];
}

function boundedInteger(body: JsonObject, key: string, fallback: number, max: number): number {
  const value = body[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw badJson(`${key} must be a non-negative integer`);
  return Math.min(value, max);
}

/** POST /_matrix/federation/v1/get_missing_events/{roomId} {earliest_events, latest_events, limit, min_depth} */
async function getMissing(fed: FederationContext, ctx: FederationRouteContext) {
  const roomId = ctx.params.roomId!;
  const body = jsonBody(ctx);
  const query = {
    earliest: idArray(body, 'earliest_events'),
    latest: idArray(body, 'latest_events'),
    limit: boundedInteger(body, 'limit', 10, MAX_BATCH),
    minDepth: boundedInteger(body, 'min_depth', 0, Number.MAX_SAFE_INTEGER),
  };
  const version = await roomForPeer(fed.store, roomId, ctx.origin);
  const events = await fed.store.read(roomTableNames, async (tx) =>
    asSeenBy(tx, roomId, ctx.origin, version, await missingEvents(tx, roomId, query)),
  );
  return ok({ events });
}
