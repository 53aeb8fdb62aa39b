// To-device messages waiting for their devices, and the transaction ids
// that make sending them idempotent (part of KeysStore, keys-store.ts).
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { END, type ToDeviceMessage, type ToDeviceRow, toDeviceTable, txnsTable } from './tables.ts';

export class ToDeviceStore {
  async putToDevice(
    tx: WriteTx,
    to: { userId: string; deviceId: string; stream: number },
    origin: string,
    message: ToDeviceMessage,
  ): Promise<void> {
    const row: ToDeviceRow = {
      user_id: to.userId,
      device_id: to.deviceId,
      stream: to.stream,
      origin,
      sender: message.sender,
      type: message.type,
      content: message.content,
    };
    await toDeviceTable.put(tx, row);
  }

  /** Messages for the device with a stream position in (since, upTo], oldest first. */
  async toDeviceBetween(
    tx: ReadTx,
    userId: string,
    deviceId: string,
    since: number,
    upTo: number,
  ): Promise<ToDeviceMessage[]> {
    const rows = await toDeviceTable.query(tx, {
      range: { lower: [userId, deviceId, since], lowerOpen: true, upper: [userId, deviceId, upTo] },
    });
    return rows.map((r) => ({ sender: r.sender, type: r.type, content: r.content }));
  }

  /** Whether the device has messages at or before `upTo` (delivered ones the client has acknowledged). */
  async hasToDeviceUpTo(tx: ReadTx, userId: string, deviceId: string, upTo: number): Promise<boolean> {
    const range = { lower: [userId, deviceId, 0], upper: [userId, deviceId, upTo] };
    return (await toDeviceTable.count(tx, { range })) > 0;
  }

  async deleteToDeviceUpTo(tx: WriteTx, userId: string, deviceId: string, upTo: number): Promise<number> {
    return toDeviceTable.deleteWhere(tx, {
      range: { lower: [userId, deviceId, 0], upper: [userId, deviceId, upTo] },
    });
  }

  /** Messages from `origin` waiting for local devices (a peer's quota). */
  pendingFrom(tx: ReadTx, origin: string): Promise<number> {
    return toDeviceTable.count(tx, { index: 'origin', equals: origin });
  }

  /** Messages waiting for one device (its inbox bound). */
  pendingFor(tx: ReadTx, userId: string, deviceId: string): Promise<number> {
    return toDeviceTable.count(tx, {
      range: { lower: [userId, deviceId, 0], upper: [userId, deviceId, END] },
    });
  }

  // Transaction ids

  async seenTxn(tx: ReadTx, scope: string, deviceId: string, txnId: string): Promise<boolean> {
    return (await txnsTable.get(tx, [scope, deviceId, txnId])) !== undefined;
  }

  /** Records a transaction id; ids older than `forgetBefore` are dropped at the same time. */
  async putTxn(
    tx: WriteTx,
    scope: string,
    deviceId: string,
    txnId: string,
    now: number,
    forgetBefore: number,
  ) {
    await txnsTable.deleteWhere(tx, { index: 'created', range: { upper: forgetBefore, upperOpen: true } });
    await txnsTable.put(tx, { user_id: scope, device_id: deviceId, txn_id: txnId, created_ts: now });
  }
}
