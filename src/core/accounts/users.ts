// Local accounts: lookup, creation and the login identifier (spec: "Identifier
// types", m.id.user takes a full user id or just the localpart).
import { badJson, forbidden, invalidUsername, unknown, userInUse } from '../errors.ts';
import { isJsonObject, type JsonRecord, optionalString } from '../http/json-body.ts';
import { isValidLocalpart, parseId } from '../http/matrix-ids.ts';
import { utf8ByteLength } from '../protocol/utf8.ts';
import type { ReadTx, Store, WriteTx } from '../storage/port.ts';
import { type ProfileRow, profilesTable, type UserRow, USERS, usersTable } from './tables.ts';

export function getUser(tx: ReadTx, userId: string): Promise<UserRow | undefined> {
  return usersTable.get(tx, userId);
}

/** Reads the user in a transaction of its own (login and UIA check a password before writing anything). */
export function readUser(store: Store, userId: string): Promise<UserRow | undefined> {
  return store.read([USERS], (tx) => getUser(tx, userId));
}

/** Sets a new password hash; false when there is no such user. */
export async function setPasswordHash(tx: WriteTx, userId: string, hash: string): Promise<boolean> {
  const user = await getUser(tx, userId);
  if (!user) return false;
  await usersTable.put(tx, { ...user, password_hash: hash });
  return true;
}

/** Marks the account deactivated and forgets its password (spec: POST /account/deactivate); false when unknown. */
export async function deactivateUser(tx: WriteTx, userId: string): Promise<boolean> {
  const user = await getUser(tx, userId);
  if (!user) return false;
  const { password_hash: _, ...rest } = user;
  await usersTable.put(tx, { ...rest, deactivated: true });
  return true;
}

/** True for a registered local account that is not deactivated. */
export async function userExists(tx: ReadTx, userId: string): Promise<boolean> {
  const user = await getUser(tx, userId);
  return user !== undefined && !user.deactivated;
}

export function userIdFor(localpart: string, serverName: string): string {
  return `@${localpart}:${serverName}`;
}

/**
 * The user id a new account with this username would get. Usernames are
 * lower-cased (as Synapse does), then must match the localpart grammar, and
 * the whole id may not exceed 255 bytes (spec: "User Identifiers").
 */
export function userIdForNewUsername(username: string, serverName: string): string {
  const localpart = username.toLowerCase();
  if (!isValidLocalpart(localpart)) {
    throw invalidUsername('User ID can only contain characters a-z, 0-9, or ._=-/+');
  }
  const userId = userIdFor(localpart, serverName);
  if (utf8ByteLength(userId) > 255) throw invalidUsername('User ID may not be longer than 255 bytes');
  return userId;
}

/** Stores a new account and its initial profile (displayname = localpart, as Synapse does). */
export async function createUser(
  tx: WriteTx,
  user: { userId: string; passwordHash?: string; now: number; stream: number },
): Promise<void> {
  if (await getUser(tx, user.userId)) throw userInUse();
  const localpart = parseId(user.userId).localpart;
  const row: UserRow = { user_id: user.userId, localpart, created_ts: user.now, deactivated: false };
  if (user.passwordHash !== undefined) row.password_hash = user.passwordHash;
  await usersTable.put(tx, row);
  const profile: ProfileRow = { user_id: user.userId, displayname: localpart, stream: user.stream };
  await profilesTable.put(tx, profile);
}

/**
 * The user id named by a login or UIA password body: `identifier` of type
 * m.id.user, or the legacy top-level `user`. Third-party identifiers name no
 * account here (no 3PIDs are stored), which the spec answers with 403.
 */
export function userIdFromIdentifier(body: JsonRecord, serverName: string): string {
  const identifier = body.identifier;
  let user: string | undefined;
  if (identifier !== undefined) {
    if (!isJsonObject(identifier)) throw badJson('identifier must be an object');
    const type = optionalString(identifier, 'type');
    if (type === 'm.id.thirdparty' || type === 'm.id.phone')
      throw forbidden('Third-party identifiers are not supported');
    if (type !== 'm.id.user') throw unknown(`Unknown identifier type ${JSON.stringify(type ?? null)}`);
    user = optionalString(identifier, 'user');
  } else {
    user = optionalString(body, 'user');
  }
  if (user === undefined) throw badJson('identifier.user is required');
  if (!user.startsWith('@')) return userIdFor(user.toLowerCase(), serverName);
  const { localpart, serverName: server } = parseId(user);
  if (server !== serverName) throw forbidden('That user is not on this server');
  return userIdFor(localpart.toLowerCase(), serverName);
}
