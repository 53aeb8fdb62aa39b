// Spec (state resolution v2, "Iterative auth checks"): apply each event in
// order to the state if the authorization rules allow it against that state;
// a (type, state_key) the rules need but the state lacks comes from the
// event's own auth events, unless that auth event was rejected.
import { authEventTypesFor } from '../auth-events.ts';
import { checkAuth } from '../auth-rules.ts';
import type { RoomVersion } from '../room-version.ts';
import { type RoomEvent, type StateKey, stateKeyOf } from '../types.ts';
import type { EventLoader } from './event-loader.ts';

/** Runs the iterative auth checks from `baseState` over `eventIds` (in order); returns the new state. */
export async function iterativeAuthChecks(
  baseState: ReadonlyMap<StateKey, string>,
  eventIds: readonly string[],
  loader: EventLoader,
  version: RoomVersion,
): Promise<Map<StateKey, string>> {
  const state = new Map(baseState);
  await loader.loadAll(eventIds);
  await loader.loadAll(
    eventIds.flatMap((id) => {
      const event = loader.peek(id);
      return event ? loader.authIds(event) : [];
    }),
  );
  for (const id of eventIds) {
    const event = loader.peek(id);
    if (event?.state_key === undefined) continue;
    const authState = await authStateFor(event, state, loader, version);
    const verdict = checkAuth(event, (type, stateKey) => authState.get(stateKeyOf(type, stateKey)), version);
    if (verdict.ok) state.set(stateKeyOf(event.type, event.state_key), id);
  }
  return state;
}

/** The event's own usable auth events, overridden by the current state for every key the rules need. */
async function authStateFor(
  event: RoomEvent,
  state: ReadonlyMap<StateKey, string>,
  loader: EventLoader,
  version: RoomVersion,
): Promise<Map<StateKey, RoomEvent>> {
  const authState = new Map<StateKey, RoomEvent>();
  for (const authId of loader.authIds(event)) {
    const auth = await usable(authId, loader);
    if (auth?.state_key !== undefined) authState.set(stateKeyOf(auth.type, auth.state_key), auth);
  }
  for (const { type, stateKey } of authEventTypesFor(event, version)) {
    const key = stateKeyOf(type, stateKey);
    const current = state.get(key);
    const resolved = current === undefined ? undefined : await usable(current, loader);
    if (resolved) authState.set(key, resolved);
  }
  return authState;
}

/** The event if the provider has it and it was not rejected. */
async function usable(eventId: string, loader: EventLoader): Promise<RoomEvent | undefined> {
  const event = await loader.load(eventId);
  if (!event || (await loader.isRejected(eventId))) return undefined;
  return event;
}
