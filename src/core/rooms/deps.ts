// What the rooms module needs from its composition root.
import type { Clock, Logger } from '../ports.ts';
import type { Store } from '../storage/port.ts';
import type { Notifier } from '../sync/notifier.ts';
import type { PublicRoomsChunk, PublicRoomsPage, PublicRoomsQuery } from './public-rooms.ts';

/** The profile fields copied into a user's member events. */
export interface MemberProfile {
  readonly displayname?: string;
  readonly avatar_url?: string;
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

/** A local user joining a room this server does not have yet. */
export interface RemoteJoinRequest {
  readonly roomId: string;
  readonly userId: string;
  /** Servers to try, most promising first (from an alias, `via`/`server_name`, the room id). */
  readonly servers: readonly string[];
  readonly reason?: string;
}

export interface RoomDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly notifier: Notifier;
  readonly logger?: Logger;
  /** This server's name (hex of its public key): room ids, aliases and signatures use it. */
  readonly serverName: string;
  /** The server's ed25519 seed; every local event is signed with it. */
  readonly signingSeed: Uint8Array;
  /** Random bytes for room ids (defaults to the protocol library's randomBytes). */
  readonly randomBytes?: (n: number) => Uint8Array;
  /** A local user's profile for their member events (accounts' getProfile, in its own read transaction). */
  readonly profileOf?: (userId: string) => Promise<MemberProfile | undefined>;
  /** Whether a local user exists: inviting an unknown local user is 404 M_NOT_FOUND. */
  readonly userExists?: (userId: string) => Promise<boolean>;
  /** Other servers' directories and aliases; absent without federation (they are 404 then). */
  readonly remoteDirectory?: RemoteDirectory;
  /**
   * Joins a room that is not known here over federation (make_join/send_join;
   * room federation implements it). Absent: such joins are 404.
   */
  readonly remoteJoin?: (request: RemoteJoinRequest) => Promise<void>;
}
