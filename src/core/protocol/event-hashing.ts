// Content hashes, reference hashes, event ids, and event signatures (spec:
// server-server API, "Signing Events", "Calculating the content hash for an
// event", "Calculating the reference hash for an event", and "Validating
// hashes and signatures on received events"; rooms/v3 and v4 event ids).
//
// From room version 3 on, `event_id` is not part of the event on the wire: a
// RoomEvent carries it only locally. Every function here therefore drops an
// `event_id` from v3+ events before hashing or signing, as gomatrixserverlib
// does, so that a RoomEvent and its PDU give the same answers. From room
// version 12 on the same holds for the `room_id` of the m.room.create event
// (it is the event's own id with `!`: Synapse's events derive it likewise), so
// that the rest of the core finds every event's room in `room_id`.

import { decodeBase64, encodeBase64, encodeBase64Url } from './base64.ts';
import { CanonicalMembers, canonicalJson } from './canonical-json.ts';
import { sha256, sha256Now } from './crypto.ts';
import { type Ed25519, type Signer, verifyEd25519 } from './ed25519.ts';
import { roomIdOfCreateEvent, serverNameOf } from './identifiers.ts';
import { redactEvent } from './redaction.ts';
import type { RoomVersion } from './room-version.ts';
import { P2P_KEY_ID, signaturesOf, signedBytes, signJson, verifyingKeyOf } from './signing.ts';
import type { Signatures } from './signing.ts';
import type { Pdu, RoomEvent } from './types.ts';
import { utf8ByteLength, utf8Encode, utf8Transient } from './utf8.ts';

/** An event that lacks what an operation needs (a v1/v2 event without event_id). */
export class EventFormatError extends Error {
  override readonly name = 'EventFormatError';
}

/**
 * Outcome of verifyEvent. A failed content hash does not reject the event
 * (spec: the receiver assumes it was sent a redacted copy and must use the
 * redacted form), so it is reported separately from the signature verdict.
 */
export type EventVerification = { ok: true; hashMatches: boolean } | { ok: false; reason: string };

export type SignedEvent<T> = Omit<T, 'event_id' | 'hashes' | 'signatures'> & {
  hashes: { sha256: string };
  signatures: Signatures;
  /** Kept only for room versions 1 and 2, where it is part of the event. */
  event_id?: string;
};

/**
 * Unpadded base64 SHA-256 of the canonical event without `unsigned`,
 * `signatures` and `hashes`. Pass the room version when `event` may be a
 * RoomEvent, so that a v3+ local event_id is left out as on the wire.
 */
export async function contentHash(event: object, version?: RoomVersion): Promise<string> {
  return encodeBase64(contentHashBytes(version ? wireForm(event, version) : event));
}

function contentHashBytes(event: object): Uint8Array {
  const { unsigned: _u, signatures: _s, hashes: _h, ...rest } = event as Record<string, unknown>;
  return sha256Now(utf8Transient(canonicalJson(rest)));
}

/**
 * Canonical JSON bytes of the redacted event without `signatures` and
 * `unsigned`: what its signatures cover and what its reference hash hashes.
 * Receiving a PDU needs both, so it computes these once and passes them to
 * eventIdFor and verifyEvent. Throws if the redacted event is not canonical.
 */
export function redactedBytes(event: object, version: RoomVersion): Uint8Array {
  return signedBytes(redactEvent(wireForm(event, version), version));
}

/**
 * A received PDU as canonical JSON in the three forms its checks need, each
 * of its members encoded once (CanonicalMembers): the whole event's size, the
 * content hash's input (hashed at once: only its hash is kept) and redactedBytes.
 */
export interface PduEncoding {
  /** Bytes of the whole PDU as canonical JSON, signatures included (its size limit). */
  readonly size: number;
  /** SHA-256 of what the content hash covers: the event without `unsigned`, `signatures` and `hashes`. */
  readonly contentHash: Uint8Array;
  /** redactedBytes: what the signatures cover and the reference hash hashes. */
  readonly redacted: Uint8Array;
}

const NOT_HASHED = ['unsigned', 'signatures', 'hashes'];
const NOT_SIGNED = ['unsigned', 'signatures'];

/** Encodes a PDU of a v3+ room once for all its checks; throws CanonicalJsonError if it is not canonical. */
export function encodePdu(pdu: Record<string, unknown>, version: RoomVersion): PduEncoding {
  const members = new CanonicalMembers(pdu);
  const wire = wireForm(pdu, version);
  const hashedText = members.encode(wire, NOT_HASHED);
  const hashed = utf8Transient(hashedText);
  const contentHash = sha256Now(hashed);
  // The whole PDU is the hashed members and the others, each with its comma.
  let size = hashed.length;
  let others = 0;
  for (const key of Object.keys(pdu)) {
    if (Object.hasOwn(wire, key) && !NOT_HASHED.includes(key)) continue;
    size += 1 + utf8ByteLength(members.member(pdu, key));
    others++;
  }
  if (others > 0 && hashedText === '{}') size -= 1;
  const redacted = utf8Encode(members.encode(redactEvent(wire, version), NOT_SIGNED));
  return { size, contentHash, redacted };
}

/** SHA-256 of the redacted event without `signatures` and `unsigned` (the spec's four steps). */
export async function referenceHash(
  event: object,
  version: RoomVersion,
  redacted?: Uint8Array,
): Promise<Uint8Array> {
  // 1. Redact. 2. Drop signatures and unsigned. 3. Canonical JSON. 4. SHA-256.
  return sha256(redacted ?? redactedBytes(event, version));
}

/**
 * The event id: `$` + the reference hash in base64 (v3) or url-safe base64
 * (v4+); v1/v2 events carry theirs. `redacted`: the event's redactedBytes, if known.
 */
export async function eventIdFor(
  event: object,
  version: RoomVersion,
  redacted?: Uint8Array,
): Promise<string> {
  if (version.eventIdFormat === 'v1') {
    const id = (event as { event_id?: unknown }).event_id;
    if (typeof id !== 'string')
      throw new EventFormatError(`room version ${version.id} events carry an event_id`);
    return id;
  }
  const hash = await referenceHash(event, version, redacted);
  return `$${version.eventIdFormat === 'v3' ? encodeBase64(hash) : encodeBase64Url(hash)}`;
}

/**
 * Adds `hashes.sha256` and this server's signature (spec: "Signing Events"):
 * the content hash covers the full event, the signature covers the redacted
 * event, so that signatures survive redaction. Signatures already present
 * are kept, so a second server (a restricted join's authoriser) can co-sign.
 */
export async function signEvent<T extends object>(
  event: T,
  signer: Signer,
  version: RoomVersion,
): Promise<SignedEvent<T>> {
  const wire = wireForm(event, version);
  const hashed = { ...wire, hashes: { sha256: await contentHash(wire) } };
  const signed = await signJson(redactEvent(hashed, version), signer);
  return { ...hashed, signatures: signed.signatures } as unknown as SignedEvent<T>;
}

/**
 * Checks a received event (spec: "Validating hashes and signatures on
 * received events"):
 * 1. The redacted event must carry a valid signature from each expected
 *    server (see expectedSigners). Keys come from the server names
 *    themselves; a server whose name is not a hex key cannot be checked.
 * 2. The content hash is recomputed; a mismatch is returned as
 *    `hashMatches: false` for the caller to store the redacted copy.
 */
export async function verifyEvent(
  ed25519: Ed25519,
  event: object,
  version: RoomVersion,
  encoded?: Uint8Array | PduEncoding,
): Promise<EventVerification> {
  const wire = wireForm(event, version);
  const signers = expectedSigners(wire, version);
  if (typeof signers === 'string') return { ok: false, reason: signers };
  // `encoded`: the event's redactedBytes, or its whole PduEncoding.
  const redacted = encoded instanceof Uint8Array ? encoded : encoded?.redacted;
  let message: Uint8Array;
  try {
    message = redacted ?? redactedBytes(wire, version);
  } catch (error) {
    return { ok: false, reason: `the redacted event is not canonical JSON: ${(error as Error).message}` };
  }
  // 1. Signatures.
  for (const server of signers) {
    const problem = await serverSignatureProblem(ed25519, wire, server, message);
    if (problem) return { ok: false, reason: problem };
  }
  // 2. Content hash.
  const hash = encoded instanceof Uint8Array ? undefined : encoded?.contentHash;
  return { ok: true, hashMatches: await contentHashMatches(wire, hash) };
}

/**
 * Servers whose signatures an event needs, or why it cannot be checked:
 * - the sender's server (the spec exempts invites made from a third-party
 *   invite; P2P servers have no identity servers, so no exemption here);
 * - for v1/v2 events, the server that minted the event_id;
 * - from v8 on, for m.room.member events with `join_authorised_via_users_server`,
 *   that user's server (auth rules 4.2, checked here because it is a signature).
 */
function expectedSigners(event: Record<string, unknown>, version: RoomVersion): string[] | string {
  const servers = new Set<string>();
  const sender = typeof event.sender === 'string' ? serverNameOf(event.sender) : undefined;
  if (!sender) return 'the event has no sender with a server name';
  servers.add(sender);
  if (version.eventIdFormat === 'v1') {
    const origin = typeof event.event_id === 'string' ? serverNameOf(event.event_id) : undefined;
    if (!origin) return 'the event has no event_id with a server name';
    servers.add(origin);
  }
  const content = event.content as Record<string, unknown> | undefined;
  const authoriser = content?.join_authorised_via_users_server;
  if (version.restrictedJoins && event.type === 'm.room.member' && authoriser !== undefined) {
    const server = typeof authoriser === 'string' ? serverNameOf(authoriser) : undefined;
    if (!server) return 'join_authorised_via_users_server is not a user id';
    servers.add(server);
  }
  return [...servers];
}

/**
 * Signatures of one server tried at most. A P2P server has one key, which
 * its name fixes, so one signature of it suffices; a peer listing hundreds
 * under other key ids had each checked (Ed25519 costs about 130 us of CPU
 * here), and a received transaction's write waits for its checks
 * (inbound/transaction.ts).
 */
const MAX_SIGNATURES_TRIED = 2;

/** Undefined when one of the server's ed25519 signatures verifies, else the reason. */
async function serverSignatureProblem(
  ed25519: Ed25519,
  event: object,
  server: string,
  message: Uint8Array,
): Promise<string | undefined> {
  const publicKey = verifyingKeyOf(server);
  if (!publicKey) return `unknown signing key for ${server}`;
  const ours: Record<string, unknown> = signaturesOf(event)[server] ?? {};
  // Every ed25519 key id of a P2P server names the same key; try ours first,
  // and at most MAX_SIGNATURES_TRIED (one key signs once).
  const keyIds = Object.keys(ours)
    .filter((id) => id.startsWith('ed25519:'))
    .sort((a, b) => Number(b === P2P_KEY_ID) - Number(a === P2P_KEY_ID))
    .slice(0, MAX_SIGNATURES_TRIED);
  if (keyIds.length === 0) return `no ed25519 signature from ${server}`;
  for (const keyId of keyIds) {
    const signature = decodeBase64OrUndefined(ours[keyId]);
    if (signature && (await verifyEd25519(ed25519, publicKey, message, signature))) return undefined;
  }
  return `bad signature from ${server}`;
}

function decodeBase64OrUndefined(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return decodeBase64(value);
  } catch {
    return undefined;
  }
}

/**
 * Step 3 of a received PDU alone: whether its content hash matches the one
 * its encoding computed (step 1), as verifyEvent's `hashMatches` says once
 * its signatures are checked too.
 */
export function pduHashMatches(pdu: object, encoding: PduEncoding): Promise<boolean> {
  return contentHashMatches(pdu as Record<string, unknown>, encoding.contentHash);
}

/** `hash`: the event's PduEncoding.contentHash, if known. */
async function contentHashMatches(event: Record<string, unknown>, hash?: Uint8Array): Promise<boolean> {
  const claimed = (event.hashes as { sha256?: unknown } | undefined)?.sha256;
  const claimedBytes = decodeBase64OrUndefined(claimed);
  if (!claimedBytes) return false;
  try {
    const actual = hash ?? contentHashBytes(event);
    return actual.length === claimedBytes.length && actual.every((byte, i) => byte === claimedBytes[i]);
  } catch {
    // Content that is not canonical JSON cannot match any hash; redaction removes it.
    return false;
  }
}

/** Computes the event id of a received PDU and returns the event the core works with. */
export async function roomEventFromPdu(
  pdu: Pdu,
  version: RoomVersion,
  redacted?: Uint8Array,
): Promise<RoomEvent> {
  const eventId = await eventIdFor(pdu, version, redacted);
  // wireForm's copy is the event's own: one copy of the PDU, not two.
  const event = wireForm(pdu, version) as RoomEvent;
  event.event_id = eventId;
  if (impliesRoomId(event, version)) event.room_id = roomIdOfCreateEvent(eventId);
  return event;
}

/** A v12+ create event: its room id is its own event id (MSC4291), never part of the event. */
function impliesRoomId(event: object, version: RoomVersion): boolean {
  const { type, state_key: stateKey } = event as { type?: unknown; state_key?: unknown };
  return version.roomIdIsCreateEventId && type === 'm.room.create' && stateKey === '';
}

/** The PDU to send: without the local event_id, except in v1/v2 where it belongs to the event. */
export function pduFromRoomEvent(event: RoomEvent, version: RoomVersion): Pdu {
  return wireForm(event, version) as Pdu;
}

/** The event as it travels: a v3+ event loses any local `event_id`, a v12+ create event its local `room_id`. */
function wireForm(event: object, version: RoomVersion): Record<string, unknown> {
  const wire: Record<string, unknown> = { ...event };
  if (version.eventIdFormat !== 'v1') delete wire.event_id;
  if (impliesRoomId(event, version)) delete wire.room_id;
  return wire;
}
