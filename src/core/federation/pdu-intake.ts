// The first three checks performed on receipt of a PDU (spec: server-server
// API, "Checks performed on receipt of a PDU"), which need nothing but the
// event itself and so run before any transaction, in parallel:
//  1. it is a valid event (format, sizes, canonical JSON), else dropped;
//  2. it passes signature checks (the key comes from the hex server name), else dropped;
//  3. it passes hash checks, else it is redacted before being processed further.
// Steps 4 to 6 need the room: see receive-pdus.ts.
import {
  type JsonValue,
  type Pdu,
  type RoomEvent,
  type RoomVersion,
  checkReceivedPdu,
  type PduEncoding,
  redactEvent,
  roomEventFromPdu,
  verifyEvent,
  pduHashMatches,
  type Ed25519,
} from '../protocol.ts';

export type Intake =
  | { readonly ok: true; readonly event: RoomEvent; readonly redacted: boolean }
  | { readonly ok: false; readonly eventId?: string; readonly reason: string };

/** A PDU past step 1, with its event id, before its signatures and hashes are checked. */
export interface ParsedPdu {
  readonly pdu: Pdu;
  readonly event: RoomEvent;
  /** Its canonical JSON, encoded once in step 1 (size, event id) for steps 2 and 3 to reuse. */
  readonly encoding: PduEncoding;
}

/**
 * Step 1 for one PDU of a room of `version`. `roomId`, when given, is the
 * room the PDU must belong to (it came in a request about that room).
 */
export async function parsePdu(
  raw: JsonValue | undefined,
  version: RoomVersion,
  roomId?: string,
): Promise<{ readonly ok: true; readonly parsed: ParsedPdu } | Extract<Intake, { ok: false }>> {
  const format = checkReceivedPdu(raw, version);
  if (!format.ok) return { ok: false, reason: `1: ${format.reason}` };
  const { encoding } = format;
  const pdu = raw as Pdu;
  let event: RoomEvent;
  try {
    event = await roomEventFromPdu(pdu, version, encoding.redacted);
  } catch (err) {
    return { ok: false, reason: `1: no event id can be computed: ${(err as Error).message}` };
  }
  const eventId = event.event_id;
  if (roomId !== undefined && event.room_id !== roomId) {
    return { ok: false, eventId, reason: `1: the event belongs to ${event.room_id}, not ${roomId}` };
  }
  if (typeof pdu.origin === 'string' && pdu.origin !== serverOf(event.sender)) {
    return { ok: false, eventId, reason: `1: origin ${pdu.origin} is not the sender's server` };
  }
  return { ok: true, parsed: { pdu, event, encoding } };
}

/**
 * The event steps 2 and 3 give a parsed PDU if its signatures hold: step 3
 * alone (redacted when its content hash does not match), for a caller that
 * places it while step 2 runs and commits only once it passed
 * (inbound/transaction.ts).
 */
export async function eventIfSigned(
  { pdu, event, encoding }: ParsedPdu,
  version: RoomVersion,
): Promise<RoomEvent> {
  return stepThree(event, version, await pduHashMatches(pdu, encoding)).event;
}

/** 3. The event as received, or redacted when its content hash does not match. */
function stepThree(event: RoomEvent, version: RoomVersion, hashMatches: boolean) {
  return hashMatches
    ? { ok: true as const, event: withoutUnsigned(event), redacted: false }
    : { ok: true as const, event: redactEvent(event, version), redacted: true };
}

/** Steps 2 and 3 for a parsed PDU. */
export async function verifyPdu(
  ed25519: Ed25519,
  { pdu, event, encoding }: ParsedPdu,
  version: RoomVersion,
): Promise<Intake> {
  // 2.
  const verified = await verifyEvent(ed25519, pdu, version, encoding);
  if (!verified.ok) return { ok: false, eventId: event.event_id, reason: `2: ${verified.reason}` };
  return stepThree(event, version, verified.hashMatches);
}

/** Steps 1 to 3 for one PDU (see parsePdu). */
export async function intakePdu(
  ed25519: Ed25519,
  raw: JsonValue | undefined,
  version: RoomVersion,
  roomId?: string,
): Promise<Intake> {
  const parsed = await parsePdu(raw, version, roomId);
  return parsed.ok ? verifyPdu(ed25519, parsed.parsed, version) : parsed;
}

/** `unsigned` is the sender's local annotation, never trusted from a peer. */
function withoutUnsigned(event: RoomEvent): RoomEvent {
  if (event.unsigned === undefined) return event;
  const { unsigned: _unsigned, ...rest } = event;
  return rest as RoomEvent;
}

function serverOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}

/** Runs intake over many PDUs at once (signature checks are the costly part and run in parallel). */
export function intakeAll(
  ed25519: Ed25519,
  raws: readonly (JsonValue | undefined)[],
  version: RoomVersion,
  roomId?: string,
): Promise<Intake[]> {
  return Promise.all(raws.map((raw) => intakePdu(ed25519, raw, version, roomId)));
}
