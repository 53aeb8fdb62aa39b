// What the accounts module needs from its composition root.
import type { Clock, Logger, Pbkdf2Sha256 } from '../ports.ts';
import type { Store, WriteTx } from '../storage/port.ts';
import type { Notifier } from '../events/notifier.ts';

/** Who may register: anyone, holders of a shared token (`token:<secret>` on the CLI), or nobody. */
export type RegistrationMode = 'open' | 'closed' | { readonly token: string };

export interface AccountConfig {
  readonly registration: RegistrationMode;
  /**
   * Whether the request's client (HsRequest.client, as the adapter names it:
   * `popup`, `origin:<site>`, `ip:<address>`) may create accounts at all; a
   * client it refuses is answered as if registration were closed. The
   * extension lets its popup register, and only the sites the user allowed
   * to. Absent: every client may, as the mode says.
   */
  readonly mayRegister?: (client: string | undefined) => Promise<boolean>;
  /** The URL clients reach this server at, for `.well-known` and login responses. */
  readonly baseUrl?: string;
  /** PBKDF2 iterations for new password hashes (default PASSWORD_ITERATIONS; tests lower it). */
  readonly passwordIterations?: number;
}

/** A user the directory may show, found by another module (e.g. members of shared rooms). */
export interface DirectoryEntry {
  readonly user_id: string;
  readonly display_name?: string;
  readonly avatar_url?: string;
}

/**
 * What the accounts module asks of the rooms module (Rooms.accountHooks),
 * after the account change committed.
 */
export interface RoomsForAccounts {
  /** A user's displayname or avatar changed: their member events follow. */
  profileChanged(userId: string): Promise<void>;
  /** A user was deactivated: they leave every room. */
  userDeactivated(userId: string): Promise<void>;
  /** More users the searcher may find in the user directory (members of shared and public rooms). */
  directoryCandidates(searcher: string, term: string, limit: number): Promise<readonly DirectoryEntry[]>;
  /** Whether the user has any membership (join, invite, leave, ban, knock) in the room. */
  hasMembership(userId: string, roomId: string): Promise<boolean>;
}

/** Other servers' users' profiles (federation query/profile, the federation directory implements it). */
export interface RemoteProfiles {
  /** The whole profile, or only `field` when given; undefined when no reachable server knows the user. */
  remoteProfile(userId: string, field?: string): Promise<RemoteProfile | undefined>;
}

/** Profile fields as another server reports them: the standard two and custom fields (spec v1.16). */
export interface RemoteProfile {
  readonly displayname?: string;
  readonly avatar_url?: string;
  readonly [key: string]: unknown;
}

/**
 * Another module's part in deleting devices (the keys module drops the
 * device's keys and tells the user's peers): runs inside the transaction
 * that deletes them, then once it committed. One per operation.
 */
export interface DeviceRemoval {
  readonly tables: readonly string[];
  removed(tx: WriteTx, userId: string, deviceId: string): Promise<void>;
  committed(): void;
}

export interface AccountDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly notifier: Notifier;
  readonly serverName: string;
  readonly randomBytes: (n: number) => Uint8Array;
  readonly pbkdf2: Pbkdf2Sha256;
  readonly config: AccountConfig;
  readonly rooms: RoomsForAccounts;
  /** Absent without a network: other servers' users' profiles are 404 then. */
  readonly remoteProfiles?: RemoteProfiles;
  /** A fresh DeviceRemoval per operation that deletes devices. */
  readonly deviceRemoval: () => DeviceRemoval;
}
