// Building a local event as a signed PDU (spec: server-server API "PDUs",
// "Auth events selection", "Signing Events"). Runs outside any transaction:
// hashing and signing are WebCrypto calls.
import { badJson, invalidParam, tooLarge } from '../errors.ts';
import {
  type JsonObject,
  MAX_PDU_BYTES,
  MAX_PREV_EVENTS,
  type Pdu,
  type RoomEvent,
  type RoomVersion,
  authEventTypesFor,
  nextDepth,
  roomEventFromPdu,
  signEvent,
  tryCanonicalJson,
  utf8ByteLength,
  validatePdu,
  type Signer,
} from '../protocol.ts';

/** What a local user asks to send. */
export interface EventDraft {
  readonly type: string;
  readonly sender: string;
  readonly stateKey?: string;
  readonly content: JsonObject;
  /** For m.room.redaction: the redacted event (top-level before v11, in content from v11). */
  readonly redacts?: string;
}

/** A parent of the new event. */
export interface PrevEvent {
  readonly eventId: string;
  readonly depth: number;
}

/** The room the event is built in, as of now. */
export interface BuildContext {
  readonly version: RoomVersion;
  /** Ignored for a v12+ create event, whose own id names the room. */
  readonly roomId: string;
  /** The event id of the current state at (type, state_key), if any. */
  readonly stateId: (type: string, stateKey: string) => string | undefined;
  /** The forward extremities: they become prev_events. */
  readonly prevEvents: readonly PrevEvent[];
  readonly now: number;
  readonly serverName: string;
  readonly signer: Signer;
}

/**
 * Builds, hashes and signs a local event:
 * 1. prev_events = the forward extremities, depth = max(their depths) + 1, capped (nextDepth);
 * 2. auth_events = the auth events selection over the current state;
 * 3. content hash, signature with the server key, event id = reference hash;
 * 4. the whole PDU must stay within the size limit (413 M_TOO_LARGE).
 */
export async function buildEvent(draft: EventDraft, ctx: BuildContext): Promise<RoomEvent> {
  checkContentSize(draft.content);
  const prev = ctx.prevEvents.slice(-MAX_PREV_EVENTS);
  // 1.
  const depth = nextDepth(prev.map((p) => p.depth));
  // 2.
  const authEvents: string[] = [];
  for (const tuple of authEventTypesFor(
    { type: draft.type, sender: draft.sender, state_key: draft.stateKey, content: draft.content },
    ctx.version,
  )) {
    const id = ctx.stateId(tuple.type, tuple.stateKey);
    if (id !== undefined) authEvents.push(id);
  }
  const unsignedPdu: Omit<Pdu, 'hashes' | 'signatures'> = {
    room_id: ctx.roomId,
    sender: draft.sender,
    origin_server_ts: ctx.now,
    type: draft.type,
    content: redactsContent(draft, ctx.version),
    prev_events: prev.map((p) => p.eventId),
    auth_events: authEvents,
    depth,
  };
  if (draft.stateKey !== undefined) unsignedPdu.state_key = draft.stateKey;
  if (draft.redacts !== undefined && !ctx.version.redactsInContent) unsignedPdu.redacts = draft.redacts;
  // 3. (From v12 signing leaves the create event's room_id out: its id will name the room.)
  const signed = (await signEvent(unsignedPdu, ctx.signer, ctx.version)) as Pdu;
  // 4.
  checkPdu(signed, ctx.version);
  return roomEventFromPdu(signed, ctx.version);
}

function redactsContent(draft: EventDraft, version: RoomVersion): JsonObject {
  if (draft.redacts === undefined || !version.redactsInContent) return draft.content;
  return { ...draft.content, redacts: draft.redacts };
}

/** Early refusal of content that alone breaks the limit (before spending a signature on it). */
/** `{"content":}` around the content in checkContentSize's encoding. */
const WRAPPER_BYTES = '{"content":}'.length;

function checkContentSize(content: JsonObject): void {
  // Encoded where it will sit, one level inside the event, so that content
  // nested to canonical JSON's depth limit is a 400 here and not a failure
  // when the event is signed.
  const encoded = tryCanonicalJson({ content });
  if (!encoded.ok) throw badJson(`content is not valid canonical JSON: ${encoded.reason}`);
  if (utf8ByteLength(encoded.json) - WRAPPER_BYTES > MAX_PDU_BYTES)
    throw tooLarge(`event content is over ${MAX_PDU_BYTES} bytes`);
}

function checkPdu(pdu: Pdu, version: RoomVersion): void {
  const encoded = tryCanonicalJson(pdu);
  if (encoded.ok && utf8ByteLength(encoded.json) > MAX_PDU_BYTES) {
    throw tooLarge(`the event would be over ${MAX_PDU_BYTES} bytes`);
  }
  const verdict = validatePdu(pdu, version);
  if (!verdict.ok) throw invalidParam(`invalid event: ${verdict.reason}`);
}
