// timestamp_to_event over federation (spec: server-server API, GET
// /_matrix/federation/v1/timestamp_to_event/{roomId}): served to the room's
// other servers from our timeline, and asked of them when a local user's
// question may be answered by history we do not hold yet (rooms'
// timestamp-route.ts backfills up to the event named).
import { invalidParam, missingParam, notFound } from '../errors.ts';
import type { JsonObject } from '../protocol.ts';
import { closestEvent, joinedServers, roomTableNames } from '../rooms/federation-api.ts';
import type { FederationContext } from './context.ts';
import { fedPath } from './federation-client.ts';
import { type FederationRoute, type FederationRouteContext, ok } from './route-registry.ts';
import { V1, param, roomForPeer } from './routes/route-helpers.ts';

export interface TimedEvent {
  readonly event_id: string;
  readonly origin_server_ts: number;
}

/** Servers asked for one question at most. */
const MAX_SERVERS = 5;

export function timestampRoutes(fed: FederationContext): FederationRoute[] {
  return [
    {
      method: 'GET',
      path: `${V1}/timestamp_to_event/{roomId}`,
      handler: (ctx) => serveTimestamp(fed, ctx),
    },
  ];
}

async function serveTimestamp(fed: FederationContext, ctx: FederationRouteContext) {
  const roomId = ctx.params.roomId!;
  const rawTs = param(ctx, 'ts');
  const dir = param(ctx, 'dir');
  if (rawTs === undefined) throw missingParam('Missing query parameter ts');
  if (dir === undefined) throw missingParam('Missing query parameter dir');
  if (!/^\d{1,15}$/.test(rawTs)) throw invalidParam('ts must be a timestamp in milliseconds');
  if (dir !== 'b' && dir !== 'f') throw invalidParam('dir must be b or f');
  await roomForPeer(fed.store, roomId, ctx.origin);
  const found = await fed.store.read(roomTableNames, (tx) =>
    closestEvent(tx, roomId, Number(rawTs), dir, (row) => row.rejected === undefined),
  );
  if (!found) throw notFound(`No event found ${dir === 'f' ? 'after' : 'before'} ${rawTs}`);
  return ok({ ...found });
}

/** A peer's answer, if it has the right shape. */
function timedEvent(body: JsonObject): TimedEvent | undefined {
  const { event_id: eventId, origin_server_ts: ts } = body;
  if (typeof eventId !== 'string' || !eventId.startsWith('$') || eventId.length > 255) return undefined;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) return undefined;
  return { event_id: eventId, origin_server_ts: ts };
}

/** The first usable answer of the room's other servers (see the header). */
export async function askTimestamp(
  fed: FederationContext,
  roomId: string,
  ts: number,
  dir: 'b' | 'f',
): Promise<TimedEvent | undefined> {
  const servers = await fed.store.read(roomTableNames, (tx) => joinedServers(tx, roomId));
  servers.delete(fed.serverName);
  for (const server of [...servers].slice(0, MAX_SERVERS)) {
    try {
      const body = await fed.client.get(
        server,
        fedPath`/_matrix/federation/v1/timestamp_to_event/${roomId}`,
        {
          ts: String(ts),
          dir,
        },
      );
      const answer = timedEvent(body);
      if (answer) return answer;
    } catch (err) {
      fed.logger.info('timestamp_to_event failed', { server, roomId, error: String(err) });
    }
  }
  return undefined;
}
