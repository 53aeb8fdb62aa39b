// Server-side key backup: versions and the backed-up session keys (part of
// KeysStore, keys-store.ts).
import type { JsonObject } from '../protocol/types.ts';
import type { ReadTx, WriteTx } from '../storage/port.ts';
import {
  backupKeysTable,
  backupVersionsTable,
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
            await backupVersionsTable.query(tx, {
              index: 'user',
              equals: userId,
              reverse: true,
            })
          ).find((r) => !r.deleted)
        : await backupVersionsTable.get(tx, [userId, version]);
    if (!row || row.deleted) return undefined;
    return { version: row.version, algorithm: row.algorithm, authData: row.auth_data, etag: row.etag };
  }

  /** The highest version number the user ever had (deleted ones count: numbers are never reused). */
  async lastBackupVersion(tx: ReadTx, userId: string): Promise<number> {
    const rows = await backupVersionsTable.query(tx, { index: 'user', equals: userId });
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
    await backupVersionsTable.put(tx, row);
  }

  /** Marks the version deleted (its number stays taken) and drops its keys. */
  async deleteBackupVersion(tx: WriteTx, userId: string, v: BackupVersion): Promise<void> {
    await backupVersionsTable.put(tx, {
      user_id: userId,
      version: v.version,
      algorithm: v.algorithm,
      auth_data: {},
      etag: v.etag,
      deleted: true,
    } satisfies BackupVersionRow);
    await backupKeysTable.deleteWhere(tx, { index: 'version', equals: [userId, v.version] });
  }

  async backupKey(
    tx: ReadTx,
    userId: string,
    version: number,
    roomId: string,
    sessionId: string,
  ): Promise<JsonObject | undefined> {
    return (await backupKeysTable.get(tx, [userId, version, roomId, sessionId]))?.data;
  }

  async putBackupKey(tx: WriteTx, userId: string, version: number, s: BackupSession): Promise<void> {
    const row: BackupKeyRow = {
      user_id: userId,
      version,
      room_id: s.roomId,
      session_id: s.sessionId,
      data: s.data,
    };
    await backupKeysTable.put(tx, row);
  }

  /** The version's keys, of one room or (roomId undefined) all rooms. */
  async backupKeys(tx: ReadTx, userId: string, version: number, roomId?: string): Promise<BackupSession[]> {
    const rows = await backupKeysTable.query(
      tx,
      roomId === undefined
        ? { index: 'version', equals: [userId, version] }
        : { index: 'room', equals: [userId, version, roomId] },
    );
    return rows.map((r) => ({ roomId: r.room_id, sessionId: r.session_id, data: r.data }));
  }

  backupKeyCount(tx: ReadTx, userId: string, version: number): Promise<number> {
    return backupKeysTable.count(tx, { index: 'version', equals: [userId, version] });
  }

  async deleteBackupKeys(
    tx: WriteTx,
    userId: string,
    version: number,
    roomId?: string,
    sessionId?: string,
  ): Promise<void> {
    if (sessionId !== undefined && roomId !== undefined) {
      await backupKeysTable.delete(tx, [userId, version, roomId, sessionId]);
    } else if (roomId !== undefined) {
      await backupKeysTable.deleteWhere(tx, { index: 'room', equals: [userId, version, roomId] });
    } else {
      await backupKeysTable.deleteWhere(tx, { index: 'version', equals: [userId, version] });
    }
  }
}
