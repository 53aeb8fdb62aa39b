// Format checks on a PDU received from a peer, before anything else looks at
// it (spec: server-server API PDU schemas pdu_v3/v4/v11/v12, "Size limits" in the
// client-server API, rooms/fragments/v6-canonical-json). Every failure is a
// Verdict with a reason a human can act on; validatePdu never throws.

import { CanonicalJsonError, tryCanonicalJson } from './canonical-json.ts';
import { encodePdu, type PduEncoding } from './event-hashing.ts';
import { eventIdProblem, isHashRoomId, MAX_ID_BYTES, sigilIdProblem } from './identifiers.ts';
import { roomVersion } from './room-version.ts';
import type { RoomVersion } from './room-version.ts';
import { allowed, denied, isJsonObject } from './types.ts';
import type { Verdict } from './types.ts';
import { utf8ByteLength } from './utf8.ts';

/** The whole event, as canonical JSON with its signatures, may not exceed this many bytes. */
export const MAX_PDU_BYTES = 65536;
/** pdu_v4 schema: "Must contain less than or equal to 10 events". */
export const MAX_AUTH_EVENTS = 10;
/** pdu_v4 schema: "Must contain less than or equal to 20 events". */
export const MAX_PREV_EVENTS = 20;
/**
 * The highest depth an event may have: canonical JSON's largest integer,
 * 2**53 - 1 (rooms/fragments/v6-canonical-json). A peer may send an event
 * at exactly this depth; a local event on top of it stays there
 * (nextDepth), as Synapse clamps its own events to its MAX_DEPTH, so one
 * event with a huge depth never makes the room's next event unencodable.
 */
export const MAX_EVENT_DEPTH = Number.MAX_SAFE_INTEGER;

/** The depth of a new event on prev events of these depths: one more than the deepest, at most MAX_EVENT_DEPTH. */
export function nextDepth(prevDepths: Iterable<number>): number {
  let max = 0;
  for (const depth of prevDepths) if (depth > max) max = depth;
  return Math.min(max + 1, MAX_EVENT_DEPTH);
}

type JsonRecord = Record<string, unknown>;
type FieldCheck = (pdu: JsonRecord, version: RoomVersion) => string | undefined;

/** Looks up a room version id from a peer or client, with the reason to give when it is unknown. */
export function parseRoomVersion(
  id: unknown,
): { ok: true; version: RoomVersion } | { ok: false; reason: string } {
  const version = typeof id === 'string' ? roomVersion(id) : undefined;
  return version ? { ok: true, version } : { ok: false, reason: `unsupported room version ${String(id)}` };
}

/** Checks that `json` is a well-formed PDU of a room of the given version (3 or later). */
export function validatePdu(json: unknown, version: RoomVersion | string): Verdict {
  const fields = fieldsVerdict(json, version);
  if (!fields.ok) return fields;
  try {
    return wholeEventVerdict(fields.pdu, fields.version);
  } catch (error) {
    return denied(malformed(error));
  }
}

/**
 * validatePdu for a PDU received from a peer, handing back its encodings
 * (encodePdu) for the signature, event id and content hash checks after it,
 * so that the event is encoded as canonical JSON once.
 */
export function checkReceivedPdu(
  json: unknown,
  version: RoomVersion | string,
): { ok: true; encoding: PduEncoding } | { ok: false; reason: string } {
  const fields = fieldsVerdict(json, version);
  if (!fields.ok) return fields;
  let encoding: PduEncoding;
  try {
    encoding = encodePdu(fields.pdu, fields.version);
  } catch (error) {
    if (!(error instanceof CanonicalJsonError)) return refused(malformed(error));
    return refused(`${canonicalRule(fields.version)}: ${error.message}`);
  }
  return encoding.size > MAX_PDU_BYTES ? refused(tooLarge(encoding.size)) : { ok: true, encoding };
}

/** Every check of validatePdu but the whole event's encoding. */
function fieldsVerdict(
  json: unknown,
  version: RoomVersion | string,
): { ok: true; pdu: JsonRecord; version: RoomVersion } | { ok: false; reason: string } {
  try {
    const parsed = typeof version === 'string' ? parseRoomVersion(version) : { ok: true as const, version };
    if (!parsed.ok) return refused(parsed.reason);
    if (parsed.version.eventIdFormat === 'v1') {
      return refused(
        `unsupported room version ${parsed.version.id}: only the event format of versions 3+ is read`,
      );
    }
    if (!isJsonObject(json)) return refused('a PDU must be a JSON object');
    for (const check of FIELD_CHECKS) {
      const problem = check(json, parsed.version);
      if (problem) return { ok: false, reason: problem };
    }
    return { ok: true, pdu: json, version: parsed.version };
  } catch (error) {
    // Only exotic inputs get here (a throwing getter, a proxy); a PDU parsed from JSON never does.
    return refused(malformed(error));
  }
}

const refused = (reason: string) => ({ ok: false as const, reason });
const malformed = (error: unknown) =>
  `malformed PDU: ${error instanceof Error ? error.message : String(error)}`;

const FIELD_CHECKS: readonly FieldCheck[] = [
  roomIdField,
  (pdu) => idField(pdu, 'sender', '@'),
  (pdu) => timestampLike(pdu, 'origin_server_ts'),
  (pdu) => shortString(pdu, 'type', true),
  (pdu) => shortString(pdu, 'state_key', false),
  (pdu) => (isJsonObject(pdu.content) ? undefined : 'content must be an object'),
  (pdu, version) => eventIdList(pdu, 'prev_events', MAX_PREV_EVENTS, version),
  (pdu, version) => eventIdList(pdu, 'auth_events', MAX_AUTH_EVENTS, version),
  (pdu) => timestampLike(pdu, 'depth'),
  (pdu) =>
    isJsonObject(pdu.hashes) && typeof pdu.hashes.sha256 === 'string'
      ? undefined
      : 'hashes.sha256 must be a string',
  (pdu) => signaturesProblem(pdu.signatures),
  (pdu) =>
    pdu.unsigned === undefined || isJsonObject(pdu.unsigned) ? undefined : 'unsigned must be an object',
  (pdu) =>
    pdu.redacts === undefined || typeof pdu.redacts === 'string' ? undefined : 'redacts must be a string',
];

/**
 * `room_id`: `!opaque:server` before v12. From v12 (pdu_v12) it is `!` and the
 * create event's hash, and the create event has none: rule 1.2 ("if the event
 * has a room_id, reject") is checked here, on the event as it came, since the
 * core's copy of a create event carries the room id it implies.
 */
function roomIdField(pdu: JsonRecord, version: RoomVersion): string | undefined {
  if (!version.roomIdIsCreateEventId) return idField(pdu, 'room_id', '!');
  if (pdu.type === 'm.room.create' && pdu.state_key === '') {
    return pdu.room_id === undefined
      ? undefined
      : `room_id must be absent from an m.room.create event in room version ${version.id}`;
  }
  if (typeof pdu.room_id !== 'string') return 'room_id must be a string';
  return isHashRoomId(pdu.room_id)
    ? undefined
    : 'room_id is not ! and 43 characters of url-safe unpadded base64';
}

function idField(pdu: JsonRecord, key: string, sigil: '@' | '!'): string | undefined {
  const value = pdu[key];
  if (typeof value !== 'string') return `${key} must be a string`;
  const problem = sigilIdProblem(value, sigil);
  return problem && `${key} ${problem}`;
}

/** origin_server_ts and depth: integers in [0, 2**53 - 1] (depth_v6 and canonical JSON). */
function timestampLike(pdu: JsonRecord, key: string): string | undefined {
  const value = pdu[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return `${key} must be an integer between 0 and 2**53-1`;
  }
  return undefined;
}

function shortString(pdu: JsonRecord, key: string, required: boolean): string | undefined {
  const value = pdu[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string') return `${key} must be a string`;
  return utf8ByteLength(value) > MAX_ID_BYTES ? `${key} is longer than ${MAX_ID_BYTES} bytes` : undefined;
}

function eventIdList(pdu: JsonRecord, key: string, max: number, version: RoomVersion): string | undefined {
  const value = pdu[key];
  if (!Array.isArray(value)) return `${key} must be an array of event ids`;
  if (value.length > max) return `${key} lists ${value.length} events, more than ${max}`;
  for (let i = 0; i < value.length; i++) {
    const id: unknown = value[i];
    if (typeof id !== 'string') return `${key}[${i}] must be a string`;
    const problem = eventIdProblem(id, version.eventIdFormat);
    if (problem) return `${key}[${i}] ${problem}`;
  }
  return undefined;
}

/** `signatures` is `{server: {key_id: base64}}`. */
function signaturesProblem(signatures: unknown): string | undefined {
  if (!isJsonObject(signatures)) return 'signatures must be an object';
  for (const [server, keys] of Object.entries(signatures)) {
    if (!isJsonObject(keys)) return `signatures.${server} must be an object`;
    for (const [keyId, signature] of Object.entries(keys)) {
      if (typeof signature !== 'string') return `signatures.${server}.${keyId} must be a string`;
    }
  }
  return undefined;
}

/** Canonical JSON (enforced from v6) and the 64 KiB limit, both over the whole event. */
function wholeEventVerdict(pdu: JsonRecord, version: RoomVersion): Verdict {
  const encoded = tryCanonicalJson(pdu);
  if (!encoded.ok) return denied(`${canonicalRule(version)}: ${encoded.reason}`);
  const size = utf8ByteLength(encoded.json);
  return size > MAX_PDU_BYTES ? denied(tooLarge(size)) : allowed;
}

/**
 * Versions 3-5 tolerate JSON that is not canonical in theory, but without a
 * canonical form the event can be neither hashed nor checked, so it is
 * refused too.
 */
function canonicalRule(version: RoomVersion): string {
  return version.strictCanonicalJson ? `room version ${version.id} requires canonical JSON` : 'not hashable';
}

const tooLarge = (size: number) => `the PDU is ${size} bytes, more than ${MAX_PDU_BYTES}`;
