// What the keys module needs from its composition root: storage and the
// notifier, and narrow ports onto the rooms module (who shares a room with
// whom), the accounts module (devices, user-interactive auth) and federation
// (the persisted outbox and calls to other servers). The composition root
// (homeserver.ts) fills them from those modules' api files.
import type { HandlerResult } from '../http/route.ts';
import type { Clock, Logger } from '../ports.ts';
import type { Ed25519 } from '../protocol/ed25519.ts';
import type { JsonObject } from '../protocol/types.ts';
import type { ReadTx, Store, WriteTx } from '../storage/port.ts';
import type { Notifier } from '../events/notifier.ts';
import type { KeysStore } from './keys-store.ts';

/** A member event's outcome as the keys module cares about it. */
export interface MemberChange {
  readonly userId: string;
  readonly joined: boolean;
}

/** Reads of the rooms module, inside the caller's transaction (open it over `tables`). */
export interface KeysRooms {
  readonly tables: readonly string[];
  joinedRoomIds(tx: ReadTx, userId: string): Promise<string[]>;
  joinedMembers(tx: ReadTx, roomId: string): Promise<string[]>;
  /** The user's own membership changes after `since` (room id, joined or not now). */
  userRoomsSince(tx: ReadTx, userId: string, since: number): Promise<{ roomId: string; joined: boolean }[]>;
  /** Rooms with a timeline event at a stream position in (since, upTo]. */
  roomsWithEventsSince(tx: ReadTx, since: number, upTo: number): Promise<ReadonlySet<string>>;
  /** Members of the room whose membership changed at a stream position in (since, upTo]. */
  memberChangesBetween(tx: ReadTx, roomId: string, since: number, upTo: number): Promise<MemberChange[]>;
}

/** Reads of the accounts module, inside the caller's transaction. */
export interface KeysAccounts {
  readonly tables: readonly string[];
  /** The local user's devices: id and display name. */
  devices(tx: ReadTx, userId: string): Promise<{ deviceId: string; displayName?: string }[]>;
  /** User-interactive auth with the user's password (accounts' UIA); `purpose` binds the session. */
  authenticate(userId: string, purpose: string, body: JsonObject): Promise<HandlerResult | undefined>;
}

/** What the keys module sends and asks over federation (absent: the server stands alone). */
export interface KeysFederation {
  /** Tables the outbox writes need in the transaction of the change. */
  readonly tables: readonly string[];
  /** Queues an EDU to each destination in the caller's transaction; returns them (wake them after commit). */
  queueEdu(
    tx: WriteTx,
    destinations: Iterable<string>,
    eduType: string,
    content: JsonObject,
  ): Promise<string[]>;
  /** Tells the senders of these destinations that something was queued (after commit). */
  wake(destinations: readonly string[]): void;
  get(server: string, path: string, timeoutMs: number): Promise<JsonObject>;
  post(server: string, path: string, body: JsonObject, timeoutMs: number): Promise<JsonObject>;
}

export interface KeysDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly notifier: Notifier;
  readonly serverName: string;
  /** Checks device and cross-signing signatures (the platform's, ports.ts). */
  readonly ed25519: Ed25519;
  readonly keys: KeysStore;
  readonly rooms: KeysRooms;
  readonly accounts: KeysAccounts;
  /** Federation once the composition root connected it (KeysModule.connectFederation); undefined before and without a network. */
  readonly federation: () => KeysFederation | undefined;
}
