// Events a remote server's user sends into a room, made and signed in the
// bench (not sent through that server's client API), so that another server
// can be fed many of them as federation transactions quickly: the ingest
// benches, and the search benches' 100,000-message corpus.
import {
  type JsonObject,
  eventIdFor,
  type RoomVersion,
  roomVersion,
  signEvent,
} from '../src/core/protocol.ts';
import { eventRowOf, extremityIds, roomTableNames } from '../src/core/rooms/federation-api.ts';
import type { PeerTransport } from '../src/core/federation/transport.ts';
import type { Account, ClusterNode, Json } from '../test/support/federated-cluster.ts';
import { seedFor } from '../test/support/federated-cluster.ts';
import { signerFor } from '../test/support/ed25519.ts';

const V3 = '/_matrix/client/v3';
/** PDUs in one federation transaction at most (spec: "Transactions"). */
export const TRANSACTION_PDUS = 50;

/** The next events of one room by one sender, each after the one before. */
export interface RoomChain {
  readonly roomId: string;
  readonly version: RoomVersion;
  /** The next event, signed with the sender's server's key. */
  next(type: string, content: JsonObject): Promise<JsonObject>;
}

/**
 * A chain of events by `sender`, a user of `a` (signed with `a`'s key, whose
 * seed is seedFor(a.label)), continuing from the forward extremity of
 * `view`'s copy of the room.
 */
export async function roomChain(
  a: ClusterNode,
  sender: Account,
  roomId: string,
  view: Pick<ClusterNode, 'store'>,
): Promise<RoomChain> {
  const state = (
    await a.request('GET', `${V3}/rooms/${encodeURIComponent(roomId)}/state`, undefined, sender.accessToken)
  ).body;
  const find = (type: string, key = '') => state.find((e: Json) => e.type === type && e.state_key === key);
  const id = (type: string, key = '') => find(type, key).event_id;
  const version = roomVersion(find('m.room.create').content.room_version)!;
  // From v12 the room id names the create event, which is no auth event.
  const auth = [
    ...(version.roomIdIsCreateEventId ? [] : [id('m.room.create')]),
    id('m.room.power_levels'),
    id('m.room.member', sender.userId),
  ];
  let [prev] = await view.store.read(roomTableNames, (tx) => extremityIds(tx, roomId));
  let depth = (await view.store.read(roomTableNames, (tx) => eventRowOf(tx, prev!)))!.depth;
  const signer = signerFor(a.serverName, seedFor(a.label));
  return {
    roomId,
    version,
    async next(type, content) {
      depth += 1;
      const unsigned = {
        room_id: roomId,
        sender: sender.userId,
        type,
        content,
        origin_server_ts: Date.now(),
        prev_events: [prev!],
        auth_events: auth,
        depth,
      };
      const pdu = (await signEvent(unsigned, signer, version)) as unknown as JsonObject;
      prev = await eventIdFor(pdu, version);
      return pdu;
    },
  };
}

/**
 * Sends one transaction from `from` to `to` and checks that the receiver
 * accepted every PDU (a bench that loads data must not go on without it).
 */
export async function sendTransaction(
  transport: Pick<PeerTransport, 'request'>,
  from: string,
  to: string,
  txnId: string,
  pdus: readonly JsonObject[],
): Promise<void> {
  const res = await transport.request(to, {
    method: 'PUT',
    path: `/_matrix/federation/v1/send/${txnId}`,
    origin: from,
    body: { origin: from, origin_server_ts: Date.now(), pdus: [...pdus] },
  });
  const results = Object.values((res.body as { pdus?: Record<string, { error?: string }> }).pdus ?? {});
  const failed = results.find((r) => r.error !== undefined);
  if (res.status !== 200 || results.length !== pdus.length || failed)
    throw new Error(`transaction ${txnId}: ${res.status} ${failed?.error ?? JSON.stringify(res.body)}`);
}
