// What a destination sender puts on the wire (spec: server-server API
// "Transactions", "Inviting to a room"). A refusal of the request itself
// (4xx but 429) is logged and the rows dropped, since retrying cannot help;
// anything else throws, and the sender backs off and retries.
import type { Logger } from '../ports.ts';
import { type JsonObject, type Pdu, pduFromRoomEvent } from '../protocol.ts';
import { eventRowOf, heldRoomVersion, roomTableNames, strippedState } from '../rooms/federation-api.ts';
import type { ReadTx, Store } from '../storage/port.ts';
import { type FederationClient, fedPath, refused } from './federation-client.ts';
import type { PendingBatch } from './outbox.ts';
import { OUTBOX, type OutboxRow } from './tables.ts';

export interface DeliveryDeps {
  readonly store: Store;
  readonly clock: { now(): number };
  readonly logger: Logger;
  readonly serverName: string;
  readonly client: FederationClient;
}

/** What a sender reads to make a transaction: its outbox rows and the events they name. */
export const DELIVERY_READ_TABLES: readonly string[] = [OUTBOX, ...roomTableNames];

/**
 * The PDUs the outbox rows name, as they go on the wire. Read in the same
 * transaction as the rows themselves (sender.ts), so a message costs its
 * sender one read before it leaves, not two.
 */
export async function loadPdus(tx: ReadTx, rows: readonly OutboxRow[]): Promise<Pdu[]> {
  const out: Pdu[] = [];
  for (const row of rows) {
    const event = await eventRowOf(tx, row.event_id!);
    const version = event && (await heldRoomVersion(tx, event.room_id));
    if (event && version) out.push(pduFromRoomEvent(event.pdu, version));
  }
  return out;
}

/** PUT /_matrix/federation/v1/send/{txnId} with the batch's PDUs (loaded by loadPdus) and EDUs. */
export async function sendTransaction(
  deps: DeliveryDeps,
  destination: string,
  txnId: string,
  batch: PendingBatch,
  pdus: readonly Pdu[],
): Promise<void> {
  const edus = batch.edus.map((row) => ({ edu_type: row.edu_type!, content: row.content! }));
  const body = {
    origin: deps.serverName,
    origin_server_ts: deps.clock.now(),
    pdus,
    edus,
  } as unknown as JsonObject;
  try {
    const res = await deps.client.put(destination, fedPath`/_matrix/federation/v1/send/${txnId}`, body);
    logRefusals(deps, destination, res);
  } catch (err) {
    if (!refused(err)) throw err;
    // The destination refused the whole transaction: sending it again cannot help.
    deps.logger.warn('federation transaction refused', { to: destination, error: String(err) });
  }
}

function logRefusals(deps: DeliveryDeps, destination: string, res: JsonObject): void {
  const results = res.pdus;
  if (typeof results !== 'object' || results === null || Array.isArray(results)) return;
  for (const [eventId, result] of Object.entries(results)) {
    const error = (result as JsonObject | null)?.error;
    if (typeof error === 'string') {
      deps.logger.info('a peer did not accept an event', { to: destination, eventId, error });
    }
  }
}

/** PUT /_matrix/federation/v2/invite/{roomId}/{eventId}: the invitee's server signs the invite. */
export async function sendInvite(deps: DeliveryDeps, destination: string, row: OutboxRow): Promise<void> {
  const found = await deps.store.read(DELIVERY_READ_TABLES, async (tx) => {
    const event = await eventRowOf(tx, row.event_id!);
    const version = await heldRoomVersion(tx, row.room_id!);
    if (!event || !version) return undefined;
    // The invitee's member event (this invite) brings the inviter's with it; the invitee's server keeps its own copy.
    return { event, version, state: await strippedState(tx, row.room_id!, event.state_key) };
  });
  if (!found) return;
  const body = {
    room_version: found.version.id,
    event: pduFromRoomEvent(found.event.pdu, found.version),
    invite_room_state: found.state,
  } as unknown as JsonObject;
  try {
    await deps.client.put(
      destination,
      fedPath`/_matrix/federation/v2/invite/${row.room_id!}/${row.event_id!}`,
      body,
    );
  } catch (err) {
    if (!refused(err)) throw err;
    deps.logger.warn('an invite was refused', {
      to: destination,
      eventId: row.event_id,
      error: String(err),
    });
  }
}
