// What the rooms module needs from its composition root.
import type { Clock, Logger } from '../ports.ts';
import type { Store } from '../storage/port.ts';
import type { Notifier } from '../sync/notifier.ts';

/** The profile fields copied into a user's member events. */
export interface MemberProfile {
  readonly displayname?: string;
  readonly avatar_url?: string;
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
}
