// A hostile server on the in-memory network: it signs whatever it likes with
// its own key and talks to honest servers through the raw transport, so the
// tests can send forged, malformed and oversized traffic.
import type {
  FederationHandler,
  FederationResponse,
  PeerTransport,
} from '../../../src/core/federation/transport.ts';
import {
  DEFAULT_ROOM_VERSION,
  type JsonObject,
  createEventIdOfRoom,
  type RoomVersion,
  encodeHex,
  eventIdFor,
  roomVersion,
  signEvent,
} from '../../../src/core/protocol.ts';
import type { Account, Cluster, ClusterNode, Json } from '../../support/federated-cluster.ts';
import { ed25519, signerFor } from '../../support/ed25519.ts';
import { createRoom } from './room-helpers.ts';

export interface RoguePeer {
  readonly serverName: string;
  readonly transport: PeerTransport;
  readonly version: RoomVersion;
  /** `@name:<rogue server>` */
  user(name: string): string;
  /** Signs an event with the rogue's key; `fields` override the defaults. */
  event(fields: JsonObject): Promise<{ pdu: JsonObject; eventId: string }>;
  /** PUT /send with these PDUs (and EDUs) to `to`. */
  send(
    to: string,
    pdus: readonly unknown[],
    edus?: readonly unknown[],
    body?: JsonObject,
  ): Promise<FederationResponse>;
  /**
   * PUT /v2/invite to `to`: the rogue's `mallory` invites `userId` into the rogue's
   * own `roomId`, with this stripped state (each `[type, content]`, sent by mallory).
   */
  invite(
    to: string,
    roomId: string,
    userId: string,
    stripped: readonly (readonly [string, JsonObject])[],
  ): Promise<FederationResponse>;
  serve(handler: FederationHandler): void;
}

let transactions = 0;

/** A rogue on the cluster's in-memory network. */
export async function roguePeer(cluster: Cluster, seedByte = 0x66): Promise<RoguePeer> {
  const seed = new Uint8Array(32).fill(seedByte);
  const serverName = encodeHex(await ed25519.publicKey(seed));
  return rogueOver(cluster.network.transport(serverName), seedByte);
}

/**
 * A rogue over any transport whose key is `seedByte` repeated (the real wire:
 * test/support/libp2p-cluster.ts's rogueTransport).
 */
export async function rogueOver(transport: PeerTransport, seedByte = 0x66): Promise<RoguePeer> {
  const seed = new Uint8Array(32).fill(seedByte);
  const serverName = encodeHex(await ed25519.publicKey(seed));
  if (transport.serverName !== serverName) throw new Error('the rogue transport has another key');
  // The rooms it forges into are created with the default version.
  const version = roomVersion(DEFAULT_ROOM_VERSION)!;
  const peer: RoguePeer = {
    serverName,
    transport,
    version,
    user: (name) => `@${name}:${serverName}`,
    async event(fields) {
      const unsigned: JsonObject = {
        origin_server_ts: Date.now(),
        content: {},
        prev_events: [],
        auth_events: [],
        depth: 1,
        ...fields,
      };
      // Tests name the create event among the auth events, as versions before
      // 12 want; from 12 the room id implies it and citing it is rejected.
      if (
        version.roomIdIsCreateEventId &&
        typeof fields.room_id === 'string' &&
        Array.isArray(fields.auth_events)
      ) {
        const create = createEventIdOfRoom(fields.room_id);
        unsigned.auth_events = fields.auth_events.filter((id) => id !== create);
      }
      const pdu = (await signEvent(unsigned, signerFor(serverName, seed), version)) as unknown as JsonObject;
      return { pdu, eventId: await eventIdFor(pdu, version) };
    },
    send(to, pdus, edus = [], body = {}) {
      return transport.request(to, {
        method: 'PUT',
        path: `/_matrix/federation/v1/send/rogue${++transactions}`,
        origin: serverName,
        body: {
          origin: serverName,
          origin_server_ts: Date.now(),
          pdus,
          edus,
          ...body,
        } as unknown as JsonObject,
      });
    },
    async invite(to, roomId, userId, stripped) {
      const mallory = `@mallory:${serverName}`;
      const { pdu, eventId } = await peer.event({
        room_id: roomId,
        type: 'm.room.member',
        state_key: userId,
        sender: mallory,
        content: { membership: 'invite' },
        prev_events: [],
        auth_events: [],
        depth: 5,
      });
      const enc = encodeURIComponent;
      return transport.request(to, {
        method: 'PUT',
        path: `/_matrix/federation/v2/invite/${enc(roomId)}/${enc(eventId)}`,
        origin: serverName,
        body: {
          room_version: '10',
          event: pdu,
          invite_room_state: stripped.map(([type, content]) => ({
            type,
            state_key: '',
            sender: mallory,
            content,
          })),
        },
      });
    },
    serve: (handler) => transport.onRequest(handler),
  };
  return peer;
}

/** What a rogue needs to forge events in a room: its auth event ids and latest event, read as alice. */
export async function roomFacts(node: ClusterNode, token: string, roomId: string) {
  const enc = encodeURIComponent;
  const state: Json = (
    await node.request('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`, undefined, token)
  ).body;
  const id = (type: string, key = '') =>
    state.find((e: Json) => e.type === type && e.state_key === key)?.event_id;
  const latest = (
    await node.request(
      'GET',
      `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1`,
      undefined,
      token,
    )
  ).body.chunk[0];
  return {
    create: id('m.room.create') as string,
    powerLevels: id('m.room.power_levels') as string,
    joinRules: id('m.room.join_rules') as string,
    member: (userId: string) => id('m.room.member', userId) as string | undefined,
    latest: latest.event_id as string,
  };
}

/** The room's events a rogue's member event needs: its auth events and the event it follows. */
export interface MemberFacts {
  readonly create: string;
  readonly powerLevels: string;
  readonly joinRules: string;
  readonly latest: string;
}

/** A member event of the rogue's user `localpart` about itself (join, knock, leave), signed by the rogue. */
export function rogueMemberEvent(
  rogue: RoguePeer,
  roomId: string,
  facts: MemberFacts,
  localpart: string,
  membership: string,
) {
  const userId = rogue.user(localpart);
  return rogue.event({
    room_id: roomId,
    type: 'm.room.member',
    state_key: userId,
    sender: userId,
    content: { membership },
    prev_events: [facts.latest],
    auth_events: [facts.create, facts.powerLevels, facts.joinRules],
    depth: 10,
  });
}

/** The rogue's join sent in a transaction; throws when refused. */
export async function sendRogueJoin(
  rogue: RoguePeer,
  to: string,
  roomId: string,
  facts: MemberFacts,
  localpart = 'mallory',
) {
  const join = await rogueMemberEvent(rogue, roomId, facts, localpart, 'join');
  const res = await rogue.send(to, [join.pdu]);
  const result = (res.body as JsonObject).pdus as Record<string, JsonObject> | undefined;
  if (res.status !== 200 || Object.keys(result?.[join.eventId] ?? {}).length > 0)
    throw new Error(`the rogue's join was refused: ${JSON.stringify(res.body)}`);
  return join.eventId;
}

/** The rogue's user `localpart` joins a public room (a join event sent in a transaction); returns its id and event id. */
export async function rogueJoins(
  rogue: RoguePeer,
  node: ClusterNode,
  token: string,
  roomId: string,
  localpart = 'mallory',
) {
  const facts = await roomFacts(node, token, roomId);
  const eventId = await sendRogueJoin(rogue, node.serverName, roomId, facts, localpart);
  return { userId: rogue.user(localpart), eventId, facts };
}

/** A public room alice made on `label`'s node, which the rogue's mallory joined. */
export interface RogueRoom {
  readonly node: ClusterNode;
  readonly alice: Account;
  readonly roomId: string;
  readonly rogue: RoguePeer;
  readonly mallory: string;
  readonly joinId: string;
  /** What mallory's messages cite: the create event, the power levels and the join. */
  readonly auth: string[];
}

export async function rogueRoom(cluster: Cluster, label = 'a'): Promise<RogueRoom> {
  const node = cluster.node(label);
  const alice = await node.register('alice');
  const roomId = await createRoom(node, alice, { preset: 'public_chat' });
  const rogue = await roguePeer(cluster);
  const joined = await rogueJoins(rogue, node, alice.accessToken, roomId);
  return {
    node,
    alice,
    roomId,
    rogue,
    mallory: joined.userId,
    joinId: joined.eventId,
    auth: [joined.facts.create, joined.facts.powerLevels, joined.eventId],
  };
}
