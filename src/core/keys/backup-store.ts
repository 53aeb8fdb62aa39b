// Server-side key backup: versions and the backed-up session keys (part of
// KeysStore, keys-store.ts).
import type { JsonObject } from '../protocol/types.ts';
import type { ReadTx, WriteTx } from '../storage/port.ts';
import {
  BACKUP_KEYS,
  BACKUP_VERSIONS,
  type BackupKeyRow,
  type BackupSession,
  type BackupVersion,
  type BackupVersionRow,
} from './tables.ts';

export class BackupStore {
  async backupVersion(tx: ReadTx, userId: string, version?: number): Promise<BackupVersion | undefined> {
    const row =
      version === undefined
        ? (
            await tx.query<BackupVersionRow>(BACKUP_VERSIONS, {
              index: 'user',
              equals: userId,
              reverse: true,
            })
          ).find((r) => !r.deleted)
        : await tx.get<BackupVersionRow>(BACKUP_VERSIONS, [userId, version]);
    if (!row || row.deleted) return undefined;
    return { version: row.version, algorithm: row.algorithm, authData: row.auth_data, etag: row.etag };
  }

  /** The highest version number the user ever had (deleted ones count: numbers are never reused). */
  async lastBackupVersion(tx: ReadTx, userId: string): Promise<number> {
    const rows = await tx.query<BackupVersionRow>(BACKUP_VERSIONS, { index: 'user', equals: userId });
    return rows.reduce((max, r) => Math.max(max, r.version), 0);
  }

  async putBackupVersion(tx: WriteTx, userId: string, v: BackupVersion): Promise<void> {
    const row: BackupVersionRow = {
      user_id: userId,
      version: v.version,
      algorithm: v.algorithm,
      auth_data: v.authData,
      etag: v.etag,
      deleted: false,
    };
    await tx.put(BACKUP_VERSIONS, row);
  }

  /** Marks the version deleted (its number stays taken) and drops its keys. */
  async deleteBackupVersion(tx: WriteTx, userId: string, v: BackupVersion): Promise<void> {
    await tx.put(BACKUP_VERSIONS, {
      user_id: userId,
      version: v.version,
      algorithm: v.algorithm,
      auth_data: {},
      etag: v.etag,
      deleted: true,
    } satisfies BackupVersionRow);
    await tx.deleteWhere(BACKUP_KEYS, { index: 'version', equals: [userId, v.version] });
  }

  async backupKey(
    tx: ReadTx,
    userId: string,
    version: number,
    roomId: string,
    sessionId: string,
  ): Promise<JsonObject | undefined> {
    return (await tx.get<BackupKeyRow>(BACKUP_KEYS, [userId, version, roomId, sessionId]))?.data;
  }

  async putBackupKey(tx: WriteTx, userId: string, version: number, s: BackupSession): Promise<void> {
    const row: BackupKeyRow = {
      user_id: userId,
      version,
      room_id: s.roomId,
      session_id: s.sessionId,
      data: s.data,
    };
    await tx.put(BACKUP_KEYS, row);
  }

  /** The version's keys, of one room or (roomId undefined) all rooms. */
  async backupKeys(tx: ReadTx, userId: string, version: number, roomId?: string): Promise<BackupSession[]> {
    const rows = await tx.query<BackupKeyRow>(
      BACKUP_KEYS,
      roomId === undefined
        ? { index: 'version', equals: [userId, version] }
        : { index: 'room', equals: [userId, version, roomId] },
    );
    return rows.map((r) => ({ roomId: r.room_id, sessionId: r.session_id, data: r.data }));
  }

  backupKeyCount(tx: ReadTx, userId: string, version: number): Promise<number> {
    return tx.count(BACKUP_KEYS, { index: 'version', equals: [userId, version] });
  }

  async deleteBackupKeys(
    tx: WriteTx,
    userId: string,
    version: number,
    roomId?: string,
    sessionId?: string,
  ): Promise<void> {
    if (sessionId !== undefined && roomId !== undefined) {
      await tx.delete(BACKUP_KEYS, [userId, version, roomId, sessionId]);
    } else if (roomId !== undefined) {
      await tx.deleteWhere(BACKUP_KEYS, { index: 'room', equals: [userId, version, roomId] });
    } else {
      await tx.deleteWhere(BACKUP_KEYS, { index: 'version', equals: [userId, version] });
    }
  }
}
