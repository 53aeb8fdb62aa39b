// Stripped state from another server (spec: "Stripped state": invite_room_state
// of an invite, knock_room_state of a send_knock answer): shown to our user
// as the server gave it, so only the expected shape is kept, and at most
// MAX_STRIPPED_STATE events.
import type { JsonValue } from '../protocol.ts';
import type { StrippedStateEvent } from '../rooms/federation-api.ts';

const MAX_STRIPPED_STATE = 50;

/** The stripped state events of `value` that have the expected shape. */
export function strippedStateOf(value: JsonValue | undefined): StrippedStateEvent[] {
  if (!Array.isArray(value)) return [];
  const out: StrippedStateEvent[] = [];
  for (const item of value.slice(0, MAX_STRIPPED_STATE)) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    const { type, state_key: stateKey, sender, content } = item;
    if (typeof type !== 'string' || typeof stateKey !== 'string' || typeof sender !== 'string') continue;
    if (typeof content !== 'object' || content === null || Array.isArray(content)) continue;
    out.push({ type, state_key: stateKey, sender, content });
  }
  return out;
}
