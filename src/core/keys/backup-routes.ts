// Server-side key backup (spec: "Server-side key backups"): versions under
// /room_keys/version and the backed-up session keys under /room_keys/keys at
// three levels (all rooms, one room, one session). Keys are written only to
// the current version (else 403 M_WRONG_ROOM_KEYS_VERSION); a stored key is
// replaced only by a better one (verified over unverified, then the lower
// first_message_index, then the lower forwarded_count); every change bumps
// the version's etag. No backup is 404 M_NOT_FOUND, which clients read as
// "no backup yet".
import { MatrixError, badJson, notFound } from '../errors.ts';
import { jsonObjectBody, requireString } from '../http/json-body.ts';
import { requireQueryParam } from '../http/query.ts';
import type { HandlerResult, RequestContext, Route } from '../http/route.ts';
import { isJsonObject, type JsonObject } from '../protocol/types.ts';
import type { WriteTx } from '../storage/port.ts';
import type { KeysDeps } from './deps.ts';
import type { BackupSession, BackupVersion } from './keys-store.ts';
import { callerOf, V3 } from './route-helpers.ts';

/** Sessions one PUT may carry. */
const MAX_SESSIONS_PER_REQUEST = 10_000;
const MAX_SESSION_CHARS = 16_384;

const wrongVersion = (current: number | undefined) =>
  new MatrixError(403, 'M_WRONG_ROOM_KEYS_VERSION', 'Wrong backup version', {
    ...(current !== undefined && { current_version: String(current) }),
  });

function versionNumber(value: string): number {
  const n = /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw notFound('Unknown backup version');
  return n;
}

function versionJson(v: BackupVersion, count: number): JsonObject {
  return {
    algorithm: v.algorithm,
    auth_data: v.authData,
    count,
    etag: String(v.etag),
    version: String(v.version),
  };
}

export function backupRoutes(deps: KeysDeps): Route[] {
  const { keys } = deps;
  const tables = keys.tables;
  const getVersion = async (ctx: RequestContext, version?: number): Promise<HandlerResult> => {
    const userId = callerOf(ctx).userId;
    const body = await deps.store.read(tables, async (tx) => {
      const v = await keys.backups.backupVersion(tx, userId, version);
      if (!v) throw notFound(version === undefined ? 'No current backup version' : 'Unknown backup version');
      return versionJson(v, await keys.backups.backupKeyCount(tx, userId, v.version));
    });
    return { body };
  };
  const keysAt = (ctx: RequestContext) => ({
    userId: callerOf(ctx).userId,
    version: versionNumber(requireQueryParam(ctx.req, 'version')),
    roomId: ctx.params.roomId,
    sessionId: ctx.params.sessionId,
  });
  const keyPaths = [
    `${V3}/room_keys/keys`,
    `${V3}/room_keys/keys/{roomId}`,
    `${V3}/room_keys/keys/{roomId}/{sessionId}`,
  ];
  return [
    {
      method: 'POST',
      path: `${V3}/room_keys/version`,
      auth: 'required',
      async handler(ctx) {
        const userId = callerOf(ctx).userId;
        const body = jsonObjectBody(ctx.req);
        const algorithm = requireString(body, 'algorithm');
        const authData = body.auth_data;
        if (!isJsonObject(authData)) throw badJson('auth_data must be an object');
        const version = await deps.store.write(tables, async (tx) => {
          const next = (await keys.backups.lastBackupVersion(tx, userId)) + 1;
          await keys.backups.putBackupVersion(tx, userId, {
            version: next,
            algorithm,
            authData: authData as JsonObject,
            etag: 0,
          });
          return next;
        });
        return { body: { version: String(version) } };
      },
    },
    { method: 'GET', path: `${V3}/room_keys/version`, auth: 'required', handler: (ctx) => getVersion(ctx) },
    {
      method: 'GET',
      path: `${V3}/room_keys/version/{version}`,
      auth: 'required',
      handler: (ctx) => getVersion(ctx, versionNumber(ctx.params.version!)),
    },
    {
      method: 'PUT',
      path: `${V3}/room_keys/version/{version}`,
      auth: 'required',
      async handler(ctx) {
        const userId = callerOf(ctx).userId;
        const version = versionNumber(ctx.params.version!);
        const body = jsonObjectBody(ctx.req);
        const algorithm = requireString(body, 'algorithm');
        const authData = body.auth_data;
        if (!isJsonObject(authData)) throw badJson('auth_data must be an object');
        if (body.version !== undefined && body.version !== String(version))
          throw new MatrixError(400, 'M_INVALID_PARAM', 'version does not match the path');
        await deps.store.write(tables, async (tx) => {
          const v = await keys.backups.backupVersion(tx, userId, version);
          if (!v) throw notFound('Unknown backup version');
          if (v.algorithm !== algorithm)
            throw new MatrixError(400, 'M_INVALID_PARAM', 'algorithm cannot change');
          await keys.backups.putBackupVersion(tx, userId, { ...v, authData: authData as JsonObject });
        });
        return { body: {} };
      },
    },
    {
      method: 'DELETE',
      path: `${V3}/room_keys/version/{version}`,
      auth: 'required',
      async handler(ctx) {
        const userId = callerOf(ctx).userId;
        const version = versionNumber(ctx.params.version!);
        await deps.store.write(tables, async (tx) => {
          const v = await keys.backups.backupVersion(tx, userId, version);
          if (!v) throw notFound('Unknown backup version');
          await keys.backups.deleteBackupVersion(tx, userId, v);
        });
        return { body: {} };
      },
    },
    ...keyPaths.map(
      (path): Route => ({
        method: 'PUT',
        path,
        auth: 'required',
        maxBodyBytes: 16 * 1024 * 1024,
        async handler(ctx) {
          const at = keysAt(ctx);
          const sessions = parseSessions(jsonObjectBody(ctx.req) as JsonObject, at.roomId, at.sessionId);
          const body = await deps.store.write(tables, async (tx) => {
            const current = await keys.backups.backupVersion(tx, at.userId);
            if (!current || current.version !== at.version) throw wrongVersion(current?.version);
            const changed = await putSessions(deps, tx, at.userId, at.version, sessions);
            const etag = changed ? current.etag + 1 : current.etag;
            if (changed) await keys.backups.putBackupVersion(tx, at.userId, { ...current, etag });
            return {
              etag: String(etag),
              count: await keys.backups.backupKeyCount(tx, at.userId, at.version),
            };
          });
          return { body };
        },
      }),
    ),
    ...keyPaths.map(
      (path): Route => ({
        method: 'GET',
        path,
        auth: 'required',
        async handler(ctx) {
          const at = keysAt(ctx);
          const body = await deps.store.read(tables, async (tx) => {
            if (!(await keys.backups.backupVersion(tx, at.userId, at.version)))
              throw notFound('Unknown backup version');
            if (at.roomId !== undefined && at.sessionId !== undefined) {
              const data = await keys.backups.backupKey(tx, at.userId, at.version, at.roomId, at.sessionId);
              if (!data) throw notFound('No such session in the backup');
              return data;
            }
            const sessions = await keys.backups.backupKeys(tx, at.userId, at.version, at.roomId);
            if (at.roomId !== undefined) return { sessions: bySession(sessions) };
            const rooms: Record<string, { sessions: JsonObject }> = {};
            for (const s of sessions) {
              const room = rooms[s.roomId] ?? { sessions: {} };
              room.sessions[s.sessionId] = s.data;
              rooms[s.roomId] = room;
            }
            return { rooms };
          });
          return { body };
        },
      }),
    ),
    ...keyPaths.map(
      (path): Route => ({
        method: 'DELETE',
        path,
        auth: 'required',
        async handler(ctx) {
          const at = keysAt(ctx);
          const body = await deps.store.write(tables, async (tx) => {
            const v = await keys.backups.backupVersion(tx, at.userId, at.version);
            if (!v) throw notFound('Unknown backup version');
            await keys.backups.deleteBackupKeys(tx, at.userId, at.version, at.roomId, at.sessionId);
            await keys.backups.putBackupVersion(tx, at.userId, { ...v, etag: v.etag + 1 });
            return {
              etag: String(v.etag + 1),
              count: await keys.backups.backupKeyCount(tx, at.userId, at.version),
            };
          });
          return { body };
        },
      }),
    ),
  ];
}

function bySession(sessions: readonly BackupSession[]): JsonObject {
  return Object.fromEntries(sessions.map((s) => [s.sessionId, s.data]));
}

/** The sessions of a PUT at any of the three levels. */
function parseSessions(body: JsonObject, roomId?: string, sessionId?: string): BackupSession[] {
  if (roomId !== undefined && sessionId !== undefined) return [checkSession(roomId, sessionId, body)];
  const rooms = roomId !== undefined ? { [roomId]: body } : body.rooms;
  if (!isJsonObject(rooms)) throw badJson('rooms must be an object');
  const out: BackupSession[] = [];
  for (const [room, entry] of Object.entries(rooms)) {
    if (!isJsonObject(entry) || !isJsonObject(entry.sessions)) throw badJson('each room needs sessions');
    for (const [session, data] of Object.entries(entry.sessions)) {
      out.push(checkSession(room, session, data));
      if (out.length > MAX_SESSIONS_PER_REQUEST) throw badJson('too many sessions in one request');
    }
  }
  return out;
}

function checkSession(roomId: string, sessionId: string, data: unknown): BackupSession {
  if (!isJsonObject(data)) throw badJson('session data must be an object');
  const ok =
    Number.isSafeInteger(data.first_message_index) &&
    Number.isSafeInteger(data.forwarded_count) &&
    typeof data.is_verified === 'boolean' &&
    isJsonObject(data.session_data);
  if (!ok)
    throw badJson('session data needs first_message_index, forwarded_count, is_verified and session_data');
  if (JSON.stringify(data).length > MAX_SESSION_CHARS) throw badJson('session data is too large');
  return { roomId, sessionId, data: data as JsonObject };
}

/** Spec: the stored key stays unless the new one is better (see the header). */
function better(next: JsonObject, old: JsonObject): boolean {
  if (next.is_verified !== old.is_verified) return next.is_verified === true;
  if (next.first_message_index !== old.first_message_index)
    return (next.first_message_index as number) < (old.first_message_index as number);
  return (next.forwarded_count as number) < (old.forwarded_count as number);
}

async function putSessions(
  deps: KeysDeps,
  tx: WriteTx,
  userId: string,
  version: number,
  sessions: readonly BackupSession[],
): Promise<boolean> {
  let changed = false;
  for (const s of sessions) {
    const old = await deps.keys.backups.backupKey(tx, userId, version, s.roomId, s.sessionId);
    if (old && !better(s.data, old)) continue;
    await deps.keys.backups.putBackupKey(tx, userId, version, s);
    changed = true;
  }
  return changed;
}
