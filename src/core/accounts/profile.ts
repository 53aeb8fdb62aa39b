// Profiles of local users (spec: "Profiles"). A change takes a stream
// position so sync can tell clients about it.
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { nextStreamPosition } from '../storage/stream.ts';
import { type ProfileRow, profilesTable } from './tables.ts';
import { getUser } from './users.ts';

export interface Profile {
  readonly displayname?: string;
  readonly avatar_url?: string;
}

export type ProfileField = 'displayname' | 'avatar_url';

/** The whole profile as GET /profile/{userId} shows it: displayname, avatar and the custom fields. */
export async function getFullProfile(
  tx: ReadTx,
  userId: string,
): Promise<Record<string, unknown> | undefined> {
  const profile = await getProfile(tx, userId);
  if (!profile) return undefined;
  const row = await profilesTable.get(tx, userId);
  return { ...row?.fields, ...profile };
}

/**
 * Sets (value given) or removes (undefined) one custom field (spec v1.16
 * "Profiles"); `check` sees the whole profile as it would be, before the write.
 * Custom fields take no stream position: sync carries no custom field.
 */
export async function setCustomField(
  tx: WriteTx,
  userId: string,
  key: string,
  value: unknown,
  check: (profile: Record<string, unknown>) => void,
): Promise<void> {
  const row: ProfileRow = (await profilesTable.get(tx, userId)) ?? { user_id: userId, stream: 0 };
  const fields = { ...row.fields };
  if (value === undefined) delete fields[key];
  else fields[key] = value;
  const { fields: _, ...rest } = row;
  const next: ProfileRow = Object.keys(fields).length > 0 ? { ...rest, fields } : rest;
  const standard = { displayname: next.displayname, avatar_url: next.avatar_url };
  check({ ...fields, ...standard });
  await profilesTable.put(tx, next);
}

/** The profile of a local user, or undefined when there is no such account. */
export async function getProfile(tx: ReadTx, userId: string): Promise<Profile | undefined> {
  if (!(await getUser(tx, userId))) return undefined;
  const row = await profilesTable.get(tx, userId);
  const profile: { displayname?: string; avatar_url?: string } = {};
  if (row?.displayname !== undefined) profile.displayname = row.displayname;
  if (row?.avatar_url !== undefined) profile.avatar_url = row.avatar_url;
  return profile;
}

/** Sets (or, with undefined, clears) one profile field; returns its stream position. */
export async function setProfileField(
  tx: WriteTx,
  userId: string,
  field: ProfileField,
  value: string | undefined,
): Promise<number> {
  const row: ProfileRow = (await profilesTable.get(tx, userId)) ?? { user_id: userId, stream: 0 };
  const next: ProfileRow = { ...row, stream: await nextStreamPosition(tx) };
  if (value === undefined) delete next[field];
  else next[field] = value;
  await profilesTable.put(tx, next);
  return next.stream;
}

/** Removes the displayname and avatar (account deactivation). */
export async function clearProfile(tx: WriteTx, userId: string): Promise<void> {
  await profilesTable.put(tx, { user_id: userId, stream: await nextStreamPosition(tx) } satisfies ProfileRow);
}
