// Who may speak for a room in the network directory, and proofs of it
// (issue 12, finding 4). A directory entry is a peer's word, and identities
// are free, so only words that can be checked count:
//  - a room's entry (name, topic, member count) is believed from the room's
//    creator: the room id's server before version 12; from version 12 the
//    room id names no server, so the entry carries the room's create event,
//    whose reference hash is the room id and whose sender is the creator;
//  - a room's claim to an alias `#a:S` is believed, when S itself cannot be
//    asked, only with the room's current `m.room.canonical_alias` event
//    naming it, sent by a user of S and signed by S (server names are keys:
//    this needs no key fetch). No other peer can make such an event, and an
//    event's signature covers its room id, so it cannot be moved to another
//    room.
// Both events travel in an extra field of the entry, PROOF, as the spec lets
// responses carry fields it does not define.
import {
  type Ed25519,
  type JsonObject,
  type JsonValue,
  pduFromRoomEvent,
  roomVersion,
  serverNameOf,
} from '../../protocol.ts';
import { currentStateEvent, heldRoomVersion } from '../../rooms/federation-api.ts';
import type { ReadTx } from '../../storage/port.ts';
import { intakePdu } from '../pdu-intake.ts';

export const PROOF = 'p2p_matrix.proof';

/** A proof larger than this (canonical JSON, both events) is ignored: two PDUs of a few hundred bytes each. */
export const MAX_PROOF_BYTES = 16 * 1024;

/** The proof of a room held here: its create event and its canonical alias event, in wire form. */
export async function roomProof(tx: ReadTx, roomId: string): Promise<JsonObject | undefined> {
  const version = await heldRoomVersion(tx, roomId);
  const create = await currentStateEvent(tx, roomId, 'm.room.create');
  if (!version || !create) return undefined;
  const proof: JsonObject = { create: pduFromRoomEvent(create.pdu, version) as unknown as JsonObject };
  const alias = await currentStateEvent(tx, roomId, 'm.room.canonical_alias');
  if (alias) proof.canonical_alias = pduFromRoomEvent(alias.pdu, version) as unknown as JsonObject;
  return proof;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The room's create event from a proof, checked (format, hashes, signature, and that it is this room's). */
async function provenCreate(ed25519: Ed25519, roomId: string, proof: JsonValue | undefined) {
  if (!isObject(proof) || !isObject(proof.create)) return undefined;
  const content = proof.create.content;
  const version =
    isObject(content) && typeof content.room_version === 'string'
      ? roomVersion(content.room_version)
      : undefined;
  if (!version) return undefined;
  const intake = await intakePdu(ed25519, proof.create, version, roomId);
  if (!intake.ok || intake.redacted || intake.event.type !== 'm.room.create' || intake.event.state_key !== '')
    return undefined;
  return { event: intake.event, version };
}

/** The server that created `roomId`, when the id says it or the proof shows it; undefined otherwise. */
export async function creatorServer(
  ed25519: Ed25519,
  roomId: string,
  proof: JsonValue | undefined,
): Promise<string | undefined> {
  const named = serverNameOf(roomId);
  if (named !== undefined) return named;
  const create = await provenCreate(ed25519, roomId, proof);
  return create && serverNameOf(create.event.sender);
}

/** Whether the proof shows `roomId`'s canonical alias event naming `alias`, sent and signed by the alias's server. */
export async function provesAlias(
  ed25519: Ed25519,
  roomId: string,
  alias: string,
  proof: JsonValue | undefined,
): Promise<boolean> {
  if (!isObject(proof) || !isObject(proof.canonical_alias)) return false;
  const create = await provenCreate(ed25519, roomId, proof);
  if (!create) return false;
  const intake = await intakePdu(ed25519, proof.canonical_alias, create.version, roomId);
  if (!intake.ok || intake.redacted) return false;
  const event = intake.event;
  if (event.type !== 'm.room.canonical_alias' || event.state_key !== '') return false;
  if (serverNameOf(event.sender) !== serverNameOf(alias)) return false;
  const content = event.content as JsonObject;
  const alts = Array.isArray(content.alt_aliases) ? content.alt_aliases : [];
  return content.alias === alias || alts.includes(alias);
}
