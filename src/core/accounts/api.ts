// What other modules may read or write through the accounts module. The
// functions take a transaction: open it over `accountTableNames` (plus your
// own tables, and STREAM_TABLE to write) so a sync response or a room
// operation sees one consistent state.
import type { ReadTx } from '../storage/port.ts';
import { accountDataRowsSince } from './account-data.ts';
import { pushRulesFor } from './push-rules.ts';

export { authenticate, listDevices } from './sessions.ts';
export { userInteractiveAuth } from './uia.ts';
export { getFullProfile, getProfile, type Profile } from './profile.ts';
export { getFilter } from './filters.ts';
export { userExists } from './users.ts';
export {
  getAccountData,
  /**
   * Sets account data from another module (e.g. m.fully_read from
   * /read_markers, m.direct on invites); roomId '' is global. Returns the
   * stream position; call the notifier after the transaction committed.
   */
  setAccountData as putAccountData,
} from './account-data.ts';
export {
  getPresence,
  type PresenceEvent,
  type PresenceStatus,
  presenceSince,
  presenceStatus,
  presenceTables,
  setPresence,
  updatePresence,
} from './presence.ts';
export { pushRulesFor, type PushRuleSet } from './push-rules.ts';
export {
  accountOpenIdTables,
  accountTableNames,
  accountTokenTables,
  accountTables,
  type PresenceState,
  type PushRule,
} from './tables.ts';
export { openIdUserInfo } from './openid.ts';
export {
  DEFAULT_OWNER_SETTINGS,
  MAX_ACCESS_TOKEN_LIFETIME_MS,
  MIN_ACCESS_TOKEN_LIFETIME_MS,
  type OwnerSettings,
  type OwnerSettingsChange,
  type OwnerSettingsView,
  ownerSettingsView,
  type SupportContact,
  type SupportInfo,
} from './server-settings.ts';
export type {
  AccountConfig,
  AccountDeps,
  DeviceRemoval,
  DirectoryEntry,
  RegistrationMode,
  RemoteProfiles,
  RoomsForAccounts,
} from './deps.ts';
export { createDeviceActivity } from './device-activity.ts';
export { accountRoutes } from './routes.ts';
export { bootstrapIdentity, type ServerIdentity } from './server-identity.ts';

export interface AccountDataEvent {
  readonly type: string;
  readonly content: Record<string, unknown>;
}

export interface AccountDataChanges {
  /** Global account data changed after the position, oldest change first. */
  readonly global: AccountDataEvent[];
  /** Per-room account data changed after the position, by room id. */
  readonly rooms: Record<string, AccountDataEvent[]>;
}

/**
 * Account data of `userId` changed after stream position `since` (0: all of
 * it, for an initial sync). `m.push_rules` always shows the live rule set and
 * is part of every initial sync, even for users who never changed a rule.
 */
export async function accountDataSince(
  tx: ReadTx,
  userId: string,
  since: number,
): Promise<AccountDataChanges> {
  const changes: AccountDataChanges = { global: [], rooms: {} };
  let pushRulesSeen = false;
  for (const row of await accountDataRowsSince(tx, userId, since)) {
    if (row.room_id !== '') {
      const room = changes.rooms[row.room_id] ?? [];
      room.push({ type: row.type, content: row.content });
      changes.rooms[row.room_id] = room;
    } else if (row.type === 'm.push_rules') {
      pushRulesSeen = true;
      changes.global.push({ type: row.type, content: { global: await pushRulesFor(tx, userId) } });
    } else {
      changes.global.push({ type: row.type, content: row.content });
    }
  }
  if (since === 0 && !pushRulesSeen) {
    changes.global.push({ type: 'm.push_rules', content: { global: await pushRulesFor(tx, userId) } });
  }
  return changes;
}
