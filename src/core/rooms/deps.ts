// What the rooms module needs from its composition root.
import type { Clock, Logger, RandomBytes } from '../ports.ts';
import type { Signer } from '../protocol/ed25519.ts';
import type { RoomEvent } from '../protocol/types.ts';
import type { Store, WriteTx } from '../storage/port.ts';
import type { Notifier } from '../events/notifier.ts';
import type { PublicRoomsChunk, PublicRoomsPage, PublicRoomsQuery } from './public-rooms.ts';

/** The profile fields copied into a user's member events. */
export interface MemberProfile {
  readonly displayname?: string;
  readonly avatar_url?: string;
}

/** What the rooms module asks of the accounts module. */
export interface AccountsForRooms {
  /** A local user's profile for their member events (accounts' getProfile, in its own read transaction). */
  profileOf(userId: string): Promise<MemberProfile | undefined>;
  /** Whether a local user exists: inviting an unknown local user is 404 M_NOT_FOUND. */
  userExists(userId: string): Promise<boolean>;
}

/** Where a room can be joined: its id and servers that are in it. */
export interface ResolvedAlias {
  readonly roomId: string;
  readonly servers: readonly string[];
}

/** The directories of other servers, reached over federation (federation/directory implements it). */
export interface RemoteDirectory {
  /** Resolves an alias of another server; undefined when no reachable server knows it. */
  resolveAlias(alias: string): Promise<ResolvedAlias | undefined>;
  /** publicRooms of one other server (`server=<name>`). */
  serverPublicRooms(server: string, query: PublicRoomsQuery): Promise<PublicRoomsPage>;
  /** publicRooms without `server`: `local` (already filtered) merged with every reachable peer's. */
  networkPublicRooms(query: PublicRoomsQuery, local: readonly PublicRoomsChunk[]): Promise<PublicRoomsPage>;
  /** Servers whose directory recently listed the room: where a join by room id can go. */
  serversFor(roomId: string): readonly string[];
}

/** A local user joining (or knocking on) a room this server does not have yet. */
export interface RemoteJoinRequest {
  readonly roomId: string;
  readonly userId: string;
  /** Servers to try, most promising first (from an alias, `via`/`server_name`, the room id). */
  readonly servers: readonly string[];
  readonly reason?: string;
}

/** A local user leaving a room this server does not hold (rejecting an invite from another server). */
export interface RemoteLeaveRequest {
  readonly roomId: string;
  readonly userId: string;
  readonly reason?: string;
}

/**
 * Told about every local event (room federation's outbox implements it, so
 * an event and its delivery to other servers commit together).
 */
export interface LocalEventHooks {
  /** Tables `persisted` writes: they join the writer's transaction. */
  readonly tables: readonly string[];
  /**
   * Runs in the write transaction that persists the events (await only tx
   * calls). Its requests may go out beside the events' own writes: it reads
   * none of what they write but memberships, and runs after a member event's
   * writes (room-writer.ts).
   */
  persisted(tx: WriteTx, events: readonly RoomEvent[]): Promise<void>;
  /** Runs after the commit. */
  committed(events: readonly RoomEvent[]): void;
}

export interface RoomDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly notifier: Notifier;
  readonly logger?: Logger;
  /** This server's name (hex of its public key): room ids, aliases and signatures use it. */
  readonly serverName: string;
  /** Signs as this server: every local event is signed with it. */
  readonly signer: Signer;
  /** Random bytes for room ids (the host's random source, ports.ts). */
  readonly randomBytes: RandomBytes;
  /** What rooms reads of the accounts module (module-adapters.ts roomAccounts). */
  readonly accounts: AccountsForRooms;
  /** Other servers' directories and aliases; absent without federation (they are 404 then). */
  readonly remoteDirectory?: RemoteDirectory;
}

/**
 * What the rooms module asks of room federation (federation.ts implements it
 * as `Federation.rooms`). The composition root connects it after making both
 * (Rooms.connectFederation): federation is made over the rooms module's port,
 * so it cannot be passed in when rooms is made. Until then, and on a server
 * without a network, joins and leaves of rooms held elsewhere are 404 and
 * local events go nowhere.
 */
export interface FederationForRooms {
  /** Joins a room that is not known here over federation (make_join/send_join). */
  remoteJoin(request: RemoteJoinRequest): Promise<void>;
  /**
   * Joins a restricted room held here whose join this server cannot
   * authorise, through the first of `request.servers` (residents) that
   * vouches for it (make_join/send_join), then places the co-signed join.
   */
  authorisedJoin(request: RemoteJoinRequest): Promise<void>;
  /** Knocks on a room that is not known here over federation (make_knock/send_knock). */
  remoteKnock(request: RemoteJoinRequest): Promise<void>;
  /**
   * A space's summary from the first of `servers` that answers federation
   * `hierarchy` (the raw, untrusted answer; hierarchy.ts checks it), or undefined.
   */
  remoteHierarchy(
    roomId: string,
    servers: readonly string[],
    suggestedOnly: boolean,
  ): Promise<Record<string, unknown> | undefined>;
  /** Leaves a room that is not known here (an invite from another server is rejected through make_leave/send_leave). */
  remoteLeave(request: RemoteLeaveRequest): Promise<void>;
  /** Told about every local event (room federation's outbox). */
  readonly localEvents: LocalEventHooks;
  /**
   * Places up to `wanted` events of a held room's history from before the
   * oldest event held, asked of the room's other servers (backfill); how
   * many were placed. 0 when history already reaches the room's creation or
   * nobody could give more.
   */
  backfill(roomId: string, wanted: number): Promise<number>;
  /**
   * The event closest to `ts` (the first at or after it for `f`, the last
   * at or before it for `b`) as one of the room's other servers answers
   * (federation timestamp_to_event); undefined when none does.
   */
  timestampToEvent(
    roomId: string,
    ts: number,
    dir: 'b' | 'f',
  ): Promise<{ readonly event_id: string; readonly origin_server_ts: number } | undefined>;
}
