// The user directory over local accounts (spec: "User Directory"). The spec
// lets a server show users who share a room with the searcher or are in
// public rooms; every account on this server is one the searcher could
// invite, so all active local accounts are searchable, and other modules add
// more candidates (RoomsForAccounts.directoryCandidates).
import type { ReadTx } from '../storage/port.ts';
import type { DirectoryEntry } from './deps.ts';
import { profilesTable, usersTable } from './tables.ts';

/** Local users whose id or displayname contains `term` (case-insensitive). */
export async function searchLocalUsers(tx: ReadTx, term: string): Promise<DirectoryEntry[]> {
  const needle = term.toLowerCase();
  const users = await usersTable.query(tx);
  const found: DirectoryEntry[] = [];
  for (const user of users) {
    if (user.deactivated) continue;
    const profile = await profilesTable.get(tx, user.user_id);
    const name = profile?.displayname;
    if (!user.user_id.toLowerCase().includes(needle) && !name?.toLowerCase().includes(needle)) continue;
    const entry: { user_id: string; display_name?: string; avatar_url?: string } = { user_id: user.user_id };
    if (name !== undefined) entry.display_name = name;
    if (profile?.avatar_url !== undefined) entry.avatar_url = profile.avatar_url;
    found.push(entry);
  }
  return found;
}

/** Orders results: names or localparts that start with the term first, then entries with a profile, then by id. */
export function rankDirectoryEntries(entries: readonly DirectoryEntry[], term: string): DirectoryEntry[] {
  const needle = term.toLowerCase();
  const score = (e: DirectoryEntry) =>
    (e.display_name?.toLowerCase().startsWith(needle) || e.user_id.slice(1).toLowerCase().startsWith(needle)
      ? 0
      : 2) + (e.display_name !== undefined || e.avatar_url !== undefined ? 0 : 1);
  return [...entries].sort((a, b) => score(a) - score(b) || a.user_id.localeCompare(b.user_id));
}
