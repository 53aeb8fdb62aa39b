// What the rooms module does when an account changes (wired by the
// homeserver as the accounts module's hooks): new member events after a
// profile change, leaving every room on deactivation, and the users a search
// of the user directory may find through shared and public rooms.
import { forbidden } from '../errors.ts';
import type { JsonObject } from '../protocol.ts';
import type { ReadTx } from '../storage/port.ts';
import { changeMembership } from './membership.ts';
import { roomMembers } from './members-read.ts';
import type { RoomsContext } from './rooms-context.ts';
import { currentStateEvent } from './state-read.ts';
import { directoryTable, type MemberRow, membersTable, roomTableNames } from './tables.ts';

/** A user the directory search may show (accounts' DirectoryEntry). */
export interface DirectoryCandidate {
  readonly user_id: string;
  readonly display_name?: string;
  readonly avatar_url?: string;
}

export interface RoomAccountHooks {
  profileChanged(userId: string): Promise<void>;
  userDeactivated(userId: string): Promise<void>;
  directoryCandidates(searcher: string, term: string, limit: number): Promise<readonly DirectoryCandidate[]>;
  hasMembership(userId: string, roomId: string): Promise<boolean>;
}

export function roomAccountHooks(rooms: RoomsContext): RoomAccountHooks {
  const { deps } = rooms;
  return {
    profileChanged: (userId) => profileChanged(rooms, userId),
    userDeactivated: (userId) => userDeactivated(rooms, userId),
    directoryCandidates: (searcher, term, limit) =>
      deps.store.read(roomTableNames, (tx) => directoryCandidates(tx, searcher, term, limit)),
    hasMembership: async (userId, roomId) =>
      (await deps.store.read(roomTableNames, (tx) => membersTable.get(tx, [roomId, userId]))) !== undefined,
  };
}

async function memberships(rooms: RoomsContext, userId: string): Promise<MemberRow[]> {
  return rooms.deps.store.read(roomTableNames, (tx) =>
    membersTable.query(tx, {
      index: 'user_stream',
      range: { lower: [userId, 0], upper: [userId, Number.MAX_SAFE_INTEGER] },
    }),
  );
}

/** A fresh join event in every joined room whose member event shows an old profile (as Synapse does). */
async function profileChanged(rooms: RoomsContext, userId: string): Promise<void> {
  const profile = (await rooms.deps.accounts.profileOf(userId)) ?? {};
  for (const member of await memberships(rooms, userId)) {
    if (member.membership !== 'join') continue;
    if (member.displayname === profile.displayname && member.avatar_url === profile.avatar_url) continue;
    await logFailure(rooms, 'profile update', member.room_id, async () => {
      await rooms.writer.send(
        member.room_id,
        { type: 'm.room.member', sender: userId, stateKey: userId, content: {} },
        {
          guard: async (tx) => {
            const current = await currentStateEvent(tx, member.room_id, 'm.room.member', userId);
            if (current?.pdu.content.membership !== 'join')
              throw forbidden(`${userId} left the room meanwhile`);
            return undefined;
          },
          content: async (tx) => {
            const current = await currentStateEvent(tx, member.room_id, 'm.room.member', userId);
            const { displayname: _d, avatar_url: _a, ...rest } = current?.pdu.content ?? {};
            const content: JsonObject = { ...rest, membership: 'join' };
            if (profile.displayname !== undefined) content.displayname = profile.displayname;
            if (profile.avatar_url !== undefined) content.avatar_url = profile.avatar_url;
            return content;
          },
        },
      );
    });
  }
}

/**
 * A deactivated user leaves every room they are joined to, invited to, or
 * knocking on (spec: POST /account/deactivate). A room whose membership
 * changed meanwhile is skipped, not an error of the deactivation.
 */
async function userDeactivated(rooms: RoomsContext, userId: string): Promise<void> {
  for (const member of await memberships(rooms, userId)) {
    if (member.membership === 'leave' || member.membership === 'ban') continue;
    await logFailure(rooms, 'leave on deactivation', member.room_id, () =>
      changeMembership(rooms, {
        roomId: member.room_id,
        sender: userId,
        target: userId,
        membership: 'leave',
        from: ['join', 'invite', 'knock'],
      }),
    );
  }
}

async function logFailure(rooms: RoomsContext, what: string, roomId: string, fn: () => Promise<unknown>) {
  try {
    await fn();
  } catch (error) {
    rooms.deps.logger?.warn(`${what} failed`, {
      roomId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/**
 * Users sharing a joined room with the searcher, or joined to a published
 * room, whose user id or display name contains the term (case-insensitive).
 */
async function directoryCandidates(
  tx: ReadTx,
  searcher: string,
  term: string,
  limit: number,
): Promise<DirectoryCandidate[]> {
  const own = await membersTable.query(tx, {
    index: 'user_stream',
    range: { lower: [searcher, 0], upper: [searcher, Number.MAX_SAFE_INTEGER] },
  });
  const roomIds = new Set(own.filter((m) => m.membership === 'join').map((m) => m.room_id));
  for (const row of await directoryTable.query(tx)) roomIds.add(row.room_id);
  const needle = term.toLowerCase();
  const found = new Map<string, DirectoryCandidate>();
  for (const roomId of roomIds) {
    for (const m of await roomMembers(tx, roomId, 'join')) {
      if (found.has(m.user_id) || found.size >= limit) continue;
      const text = `${m.user_id} ${m.displayname ?? ''}`.toLowerCase();
      if (!text.includes(needle)) continue;
      const entry: { user_id: string; display_name?: string; avatar_url?: string } = { user_id: m.user_id };
      if (m.displayname !== undefined) entry.display_name = m.displayname;
      if (m.avatar_url !== undefined) entry.avatar_url = m.avatar_url;
      found.set(m.user_id, entry);
    }
  }
  return [...found.values()];
}
