// Our users' member events for rooms held elsewhere (spec: server-server API
// "Joining Rooms", "Leaving Rooms"): the resident server proposes a template
// (make_join / make_leave); we take only the fields that place the event,
// add our content, and sign it ourselves.
import { MatrixError, forbidden } from '../errors.ts';
import {
  type JsonObject,
  type JsonValue,
  type Pdu,
  type RoomEvent,
  type RoomVersion,
  SUPPORTED_ROOM_VERSIONS,
  eventIdFor,
  parseRoomVersion,
  signEvent,
  validatePdu,
} from '../protocol.ts';
import type { FederationContext } from './context.ts';
import { type Query, RemoteCallError, fedPath } from './federation-client.ts';

export const V1 = '/_matrix/federation/v1';
export const V2 = '/_matrix/federation/v2';

export const serverOf = (userId: string) => userId.slice(userId.indexOf(':') + 1);

/** Fields of a make_join/make_leave template we sign (nothing else a server adds is taken). */
const TEMPLATE_FIELDS = [
  'room_id',
  'sender',
  'type',
  'state_key',
  'prev_events',
  'auth_events',
  'depth',
] as const;

/** The member event to sign from a resident's template, or why the template is unusable. */
export function memberEventFrom(
  template: JsonValue | undefined,
  request: { roomId: string; userId: string },
  content: JsonObject,
  now: number,
): JsonObject {
  if (typeof template !== 'object' || template === null || Array.isArray(template)) {
    throw new Error('the template is not an object');
  }
  const event: JsonObject = {};
  for (const field of TEMPLATE_FIELDS) if (template[field] !== undefined) event[field] = template[field]!;
  if (
    event.room_id !== request.roomId ||
    event.sender !== request.userId ||
    event.state_key !== request.userId
  ) {
    throw new Error('the template is for another room or user');
  }
  if (event.type !== 'm.room.member') throw new Error('the template is not a member event');
  // A restricted room's resident names who vouches for the join (it co-signs at send_join).
  const via = (template.content as JsonObject | undefined)?.join_authorised_via_users_server;
  if (content.membership === 'join' && typeof via === 'string')
    return {
      ...event,
      content: { ...content, join_authorised_via_users_server: via },
      origin_server_ts: now,
    };
  return { ...event, content, origin_server_ts: now };
}

/** Signs and hashes `unsigned` as ours; checks it is a valid PDU. */
export async function signMemberEvent(
  fed: FederationContext,
  unsigned: JsonObject,
  version: RoomVersion,
): Promise<RoomEvent> {
  const signed = (await signEvent(unsigned, fed.signer, version)) as unknown as Pdu;
  const verdict = validatePdu(signed, version);
  if (!verdict.ok) throw new Error(`the template makes an invalid event: ${verdict.reason}`);
  return { ...signed, event_id: await eventIdFor(signed, version) };
}

/**
 * make_join / make_knock / make_leave on `server`, then our member event from
 * its template with `content`, signed: what send_join / send_knock /
 * send_leave carries. Joins and knocks say which room versions we support.
 */
export async function memberEventThrough(
  fed: FederationContext,
  server: string,
  membership: 'join' | 'knock' | 'leave',
  request: { roomId: string; userId: string },
  content: JsonObject,
): Promise<{ event: RoomEvent; version: RoomVersion }> {
  const path = `${V1}/make_${membership}${fedPath`/${request.roomId}/${request.userId}`}`;
  const query: Query = membership === 'leave' ? {} : { ver: SUPPORTED_ROOM_VERSIONS };
  const made = await fed.client.get(server, path, query);
  const version = versionOf(made);
  const unsigned = memberEventFrom(made.event, request, content, fed.clock.now());
  return { event: await signMemberEvent(fed, unsigned, version), version };
}

/** A room version from a template answer we can take part in. */
export function versionOf(body: JsonObject): RoomVersion {
  const parsed = parseRoomVersion(body.room_version ?? '1');
  if (!parsed.ok || !parsed.version.supported)
    throw new Error(`room version ${String(body.room_version)} is not supported`);
  return parsed.version;
}

/** The error for the client once every server failed: a refusal wins over unreachability. */
export function joinFailure(
  what: string,
  errors: readonly unknown[],
  servers: readonly string[],
): MatrixError {
  const refusal = errors.find((e) => e instanceof RemoteCallError && e.status === 403) as
    | RemoteCallError
    | undefined;
  if (refusal) return forbidden(`${what} refused: ${refusal.message}`);
  const tried = servers.length === 0 ? 'no server to ask' : `tried ${servers.length} server(s)`;
  return new MatrixError(
    404,
    'M_NOT_FOUND',
    `${what} failed (${tried}): ${errors.map(String).join('; ').slice(0, 500)}`,
  );
}

/** The content of our user's join or knock: membership, profile, reason. */
export async function memberContentFor(
  fed: FederationContext,
  membership: 'join' | 'knock',
  request: { userId: string; reason?: string },
): Promise<JsonObject> {
  const profile = await fed.rooms.profileOf(request.userId);
  const content: JsonObject = { membership };
  if (profile?.displayname !== undefined) content.displayname = profile.displayname;
  if (profile?.avatar_url !== undefined) content.avatar_url = profile.avatar_url;
  if (request.reason !== undefined) content.reason = request.reason;
  return content;
}
