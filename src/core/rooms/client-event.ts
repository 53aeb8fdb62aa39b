// Stored events in the Client-Server API's format (spec: "ClientEvent"):
// federation fields dropped, `unsigned` computed for the viewer.
import type { ReadTx } from '../storage/port.ts';
import type { JsonObject } from '../protocol/types.ts';
import { type EventRow, eventsTable } from './tables.ts';
import { THREAD, threadSummary } from './threads.ts';

export interface ClientEvent {
  content: JsonObject;
  event_id: string;
  origin_server_ts: number;
  room_id: string;
  sender: string;
  state_key?: string;
  type: string;
  /** Top-level mirror of the redacted event id on m.room.redaction (also in content from v11). */
  redacts?: string;
  unsigned?: JsonObject;
}

/** Spec: "Stripped state" (invite_state, knock_state). */
export interface StrippedStateEvent {
  content: JsonObject;
  sender: string;
  state_key: string;
  type: string;
}

/** Who looks at an event: unsigned.transaction_id is shown only to the device that sent it. */
export interface Viewer {
  readonly userId: string;
  readonly deviceId?: string;
}

/** What formatting needs besides the row: the redaction, the replaced state event and the thread, if any. */
export interface FormatExtras {
  readonly redactedBecause?: ClientEvent;
  readonly replaced?: EventRow;
  /** The bundled `m.thread` aggregation of a thread root (spec: "Threading", server-side aggregation). */
  readonly thread?: { latest: ClientEvent; count: number; participated: boolean };
}

/** One row in client format. */
export function toClientEvent(
  row: EventRow,
  now: number,
  viewer?: Viewer,
  extras: FormatExtras = {},
): ClientEvent {
  const pdu = row.pdu;
  const event: ClientEvent = {
    content: pdu.content,
    event_id: row.event_id,
    origin_server_ts: pdu.origin_server_ts,
    room_id: pdu.room_id,
    sender: pdu.sender,
    type: pdu.type,
  };
  if (pdu.state_key !== undefined) event.state_key = pdu.state_key;
  const redacts = typeof pdu.redacts === 'string' ? pdu.redacts : pdu.content.redacts;
  if (pdu.type === 'm.room.redaction' && typeof redacts === 'string') event.redacts = redacts;
  const unsigned: JsonObject = { age: Math.max(0, now - pdu.origin_server_ts) };
  if (
    viewer &&
    row.txn_id !== undefined &&
    viewer.userId === row.sender &&
    viewer.deviceId === row.txn_device
  ) {
    unsigned.transaction_id = row.txn_id;
  }
  if (extras.redactedBecause) unsigned.redacted_because = extras.redactedBecause as unknown as JsonObject;
  if (extras.replaced) {
    unsigned.replaces_state = extras.replaced.event_id;
    unsigned.prev_content = extras.replaced.pdu.content;
    unsigned.prev_sender = extras.replaced.sender;
  }
  if (extras.thread) {
    const { latest, count, participated } = extras.thread;
    unsigned['m.relations'] = {
      [THREAD]: {
        latest_event: latest as unknown as JsonObject,
        count,
        current_user_participated: participated,
      },
    };
  }
  event.unsigned = unsigned;
  return event;
}

/** Rows in client format, loading redactions, replaced state events and threads from the transaction. */
export async function formatRows(
  tx: ReadTx,
  rows: readonly EventRow[],
  now: number,
  viewer?: Viewer,
): Promise<ClientEvent[]> {
  const out: ClientEvent[] = [];
  for (const row of rows) {
    const redaction = row.redacted_by ? await eventsTable.get(tx, row.redacted_by) : undefined;
    const replaced = row.replaces ? await eventsTable.get(tx, row.replaces) : undefined;
    const summary = row.thread_root ? await threadSummary(tx, row, viewer?.userId) : undefined;
    const extras: FormatExtras = {
      redactedBecause: redaction && toClientEvent(redaction, now, viewer),
      replaced,
      ...(summary && {
        thread: {
          latest: toClientEvent(summary.latest, now, viewer),
          count: summary.count,
          participated: summary.participated,
        },
      }),
    };
    out.push(toClientEvent(row, now, viewer, extras));
  }
  return out;
}

/** Events by id in client format, skipping unknown ids, in the order given. */
export async function clientEventsByIds(
  tx: ReadTx,
  eventIds: readonly string[],
  now: number,
  viewer?: Viewer,
): Promise<ClientEvent[]> {
  const rows: EventRow[] = [];
  for (const id of eventIds) {
    const row = await eventsTable.get(tx, id);
    if (row) rows.push(row);
  }
  return formatRows(tx, rows, now, viewer);
}

/** Stripped form of a state event. */
export function toStripped(row: EventRow): StrippedStateEvent {
  return { content: row.pdu.content, sender: row.sender, state_key: row.state_key ?? '', type: row.type };
}
