// Tables owned by room federation (the homeserver's schema, src/core/schema.ts, lists them through api.ts).
//
// - `fed_outbox`: what must still reach another server, one row per
//   (destination, item), oldest first. An item is a PDU (by event id: the
//   event itself stays in room_events), an EDU (its content inline) or an
//   invite to deliver with PUT /invite. Rows are written in the same
//   transaction as the event they carry, and deleted once the destination
//   accepted the transaction, so nothing is lost when the process or the
//   service worker dies in between (STYLE.md §8).
import type { JsonObject } from '../protocol/types.ts';
import type { TableSpec } from '../storage/port.ts';
import { table } from '../storage/table.ts';

export const OUTBOX = 'fed_outbox';

export const federationTables: Record<string, TableSpec> = {
  [OUTBOX]: { key: 'id', autoIncrement: true, indexes: { destination: ['destination', 'id'] } },
};

export const federationTableNames: readonly string[] = Object.keys(federationTables);

export type OutboxKind = 'pdu' | 'edu' | 'invite';

export interface OutboxRow extends Record<string, unknown> {
  id?: number;
  destination: string;
  kind: OutboxKind;
  /** pdu and invite: the event (read from room_events when sent). */
  event_id?: string;
  room_id?: string;
  /** edu: its type and content. */
  edu_type?: string;
  content?: JsonObject;
}

// The tables with their row and key types (storage/table.ts): read and write through these.
export const outboxTable = table<OutboxRow, number>(OUTBOX);
