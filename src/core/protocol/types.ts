// Shapes of Matrix events as they travel between servers (PDUs, room versions
// 3+: event ids are reference hashes, never sent over federation).

/** Any JSON value Matrix allows (no floats, see canonical-json.ts). */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** True for a JSON object (not null, not an array). */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject;
export function isJsonObject(value: unknown): value is Record<string, unknown>;
export function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A persistent data unit in room versions 3 and later, without its event id. */
export interface Pdu {
  room_id: string;
  sender: string;
  origin_server_ts: number;
  type: string;
  state_key?: string;
  content: JsonObject;
  prev_events: string[];
  auth_events: string[];
  depth: number;
  hashes: { sha256: string };
  signatures: Record<string, Record<string, string>>;
  unsigned?: JsonObject;
  /** Top-level mirror of content.redacts (required before v11, kept for old clients after). */
  redacts?: string;
  /** Present before v11 only. */
  origin?: string;
  [key: string]: JsonValue | undefined;
}

/** A PDU together with its computed event id; what the core passes around. */
export interface RoomEvent extends Pdu {
  event_id: string;
}

/** Result of a check that can fail for a stated reason (auth rules, format, signatures). */
export type Verdict = { ok: true } | { ok: false; reason: string };

export const allowed: Verdict = { ok: true };
export function denied(reason: string): Verdict {
  return { ok: false, reason };
}

/** Key of a piece of room state: `type` and `state_key` joined by a NUL (neither may contain one). */
export type StateKey = string;
export function stateKeyOf(type: string, stateKey: string): StateKey {
  return `${type}\u0000${stateKey}`;
}
export function splitStateKey(key: StateKey): [type: string, stateKey: string] {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}
