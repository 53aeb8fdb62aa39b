// Stripped state that another server hands us (spec: server-server API
// "Inviting to a room", invite_room_state; knock_room_state likewise): the
// other server chooses every byte, and all of it lands in the invited user's
// /sync. So it is cut down once, here, to what one PDU may weigh: at most
// MAX_STRIPPED_EVENTS events of the expected shape, MAX_STRIPPED_STATE_BYTES
// of canonical JSON in all. Reading stored invite state applies the same
// bound, so rows stored before it existed cannot break a sync either
// (issue 12, finding 1: 200 invites of 3 MB each made every /sync fail).
import { type JsonObject, MAX_PDU_BYTES, tryCanonicalJson, utf8ByteLength } from '../protocol.ts';
import type { StrippedStateEvent } from './client-event.ts';

/** Events kept of one room's stripped state. */
export const MAX_STRIPPED_EVENTS = 50;
/** Bytes (canonical JSON) kept of one room's stripped state: no more than one event may weigh. */
export const MAX_STRIPPED_STATE_BYTES = MAX_PDU_BYTES;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The well-formed stripped state events of `value` in its order, within the
 * bounds; an event that would pass the byte budget is left out (a smaller
 * one after it may still fit), as is anything not of the expected shape.
 */
export function boundedStrippedState(value: unknown): StrippedStateEvent[] {
  if (!Array.isArray(value)) return [];
  const out: StrippedStateEvent[] = [];
  let bytes = 0;
  for (const item of value) {
    if (out.length >= MAX_STRIPPED_EVENTS) break;
    if (!isObject(item)) continue;
    const { type, state_key: stateKey, sender, content } = item;
    if (typeof type !== 'string' || typeof stateKey !== 'string' || typeof sender !== 'string') continue;
    if (!isObject(content)) continue;
    const event: StrippedStateEvent = { type, state_key: stateKey, sender, content: content as JsonObject };
    const encoded = tryCanonicalJson(event);
    if (!encoded.ok) continue;
    const size = utf8ByteLength(encoded.json);
    if (bytes + size > MAX_STRIPPED_STATE_BYTES) continue;
    bytes += size;
    out.push(event);
  }
  return out;
}
