// Event templates for make_join and make_leave (spec: server-server API
// "Joining Rooms", "Leaving Rooms"): the resident server proposes the event
// on its current forward extremities and state, and refuses when the auth
// rules would not let it through now.
import { forbidden } from '../errors.ts';
import {
  type AuthStateLookup,
  type JsonObject,
  MAX_PREV_EVENTS,
  P2P_KEY_ID,
  type RoomEvent,
  type RoomVersion,
  type StateKey,
  authEventTypesFor,
  checkAuth,
  nextDepth,
  serverNameOf,
  stateKeyOf,
} from '../protocol.ts';
import { currentStateEvent, eventRowOf, extremityIds } from '../rooms/federation-api.ts';
import type { ReadTx } from '../storage/port.ts';

export interface TemplateDraft {
  readonly type: string;
  readonly sender: string;
  readonly stateKey: string;
  readonly content: JsonObject;
}

/**
 * A lookup over the room's current state that holds the `wanted` entries
 * and the create event: the rows of the events the auth rules may look at,
 * not of every state event (a 1,000-member room's make_join read them all).
 */
async function currentStateLookup(
  tx: ReadTx,
  roomId: string,
  wanted: readonly { type: string; stateKey: string }[],
): Promise<AuthStateLookup> {
  const keys = [{ type: 'm.room.create', stateKey: '' }, ...wanted];
  const rows = await Promise.all(
    keys.map(({ type, stateKey }) => currentStateEvent(tx, roomId, type, stateKey)),
  );
  const events = new Map<StateKey, RoomEvent>();
  for (const [i, row] of rows.entries())
    if (row) events.set(stateKeyOf(keys[i]!.type, keys[i]!.stateKey), row.pdu);
  return (type, stateKey) => events.get(stateKeyOf(type, stateKey));
}

/** The unsigned event for `draft` on the room's current extremities; 403 when the auth rules refuse it. */
export async function eventTemplate(
  tx: ReadTx,
  roomId: string,
  version: RoomVersion,
  draft: TemplateDraft,
  now: number,
): Promise<JsonObject> {
  const prev: { id: string; depth: number }[] = [];
  for (const id of await extremityIds(tx, roomId))
    prev.push({ id, depth: (await eventRowOf(tx, id))?.depth ?? 0 });
  prev.sort((a, b) => b.depth - a.depth);
  const chosen = prev.slice(0, MAX_PREV_EVENTS);
  const input = { type: draft.type, sender: draft.sender, state_key: draft.stateKey, content: draft.content };
  const wanted = authEventTypesFor(input, version);
  const lookup = await currentStateLookup(tx, roomId, wanted);
  const authEvents = wanted
    .map(({ type, stateKey }) => lookup(type, stateKey)?.event_id)
    .filter((id): id is string => id !== undefined);
  const template = {
    room_id: roomId,
    sender: draft.sender,
    origin_server_ts: now,
    type: draft.type,
    state_key: draft.stateKey,
    content: draft.content,
    prev_events: chosen.map((p) => p.id),
    auth_events: authEvents,
    depth: nextDepth(chosen.map((p) => p.depth)),
  };
  // A restricted join's authoriser is this server, which signs at send_join (auth rule 4.2).
  const via = draft.content.join_authorised_via_users_server;
  const signatures = typeof via === 'string' ? { [serverNameOf(via) ?? '']: { [P2P_KEY_ID]: '' } } : {};
  const probe = { ...template, hashes: { sha256: '' }, signatures, event_id: '$template' };
  const verdict = checkAuth(probe, lookup, version);
  if (!verdict.ok) throw forbidden(`The auth rules refuse this event: ${verdict.reason}`);
  return template;
}
