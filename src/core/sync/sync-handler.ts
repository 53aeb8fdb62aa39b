// GET /_matrix/client/v3/sync (spec §11.3): parses the query, applies
// set_presence, then long-polls buildSync until there is something new.
import { badJson, invalidParam, notJson } from '../errors.ts';
import { queryBoolean, queryInteger, queryParam } from '../http/query.ts';
import type { HandlerResult, RequestContext } from '../http/route.ts';
import type { Clock } from '../ports.ts';
import { BoundedCache } from '../protocol/bounded-cache.ts';
import { copyOf } from '../storage/copy-row.ts';
import type { ReadTx, Store } from '../storage/port.ts';
import { type AccountReads, buildSync, type SyncKeys, type SyncRequest } from './build-sync.ts';
import { type FilterDefinition, parseFilter } from '../events/filter.ts';
import { longPoll } from './long-poll.ts';
import type { Notifier } from '../events/notifier.ts';
import { isEmptySync } from './sync-response.ts';
import { answerFromView, nextBase, type SyncView, type ViewBase } from './sync-view.ts';
import { parseSyncToken } from './sync-token.ts';
import type { TypingTracker } from './typing.ts';
import type { UnreadMemo } from './unread.ts';

export type PresenceState = 'online' | 'offline' | 'unavailable';

/** What sync needs from the accounts module besides AccountReads. */
export interface SyncAccounts extends AccountReads {
  /** Tables the account functions read, opened with sync's own. */
  readonly tables: readonly string[];
  /** A stored filter's definition, or undefined when the user has none with that id. */
  getFilter(tx: ReadTx, userId: string, filterId: string): Promise<unknown>;
  /** Sets presence when it differs (a sync polling every few seconds must not write each time). */
  setPresence(userId: string, presence: PresenceState): Promise<void>;
}

export interface SyncHandlerDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly notifier: Notifier;
  readonly typing: TypingTracker;
  readonly accounts: SyncAccounts;
  /** The end-to-end encryption parts of the response (to-device, device lists, key counts). */
  readonly keys: SyncKeys;
  /** Tables buildSync reads (the stream counter, rooms, sync and accounts tables). */
  readonly tables: readonly string[];
  /** The unread counts of earlier syncs (unread.ts). */
  readonly unread?: UnreadMemo;
  /** What commits placed, to answer a woken sync without reading storage (sync-view.ts). */
  readonly view?: SyncView;
  /** Per device, the base for its next sync (sync-view.ts nextBase). */
  readonly next?: NextBases;
  /** Stored filters by user and id: a filter never changes once stored (spec: POST /user/{userId}/filter). */
  readonly filters?: BoundedCache<string, FilterDefinition>;
}

/** Per device, the base for its next sync, with the token and filter it is for. */
export type NextBases = BoundedCache<string, { token: string; filter: string | undefined; base: ViewBase }>;

/**
 * Devices whose next base is kept: an empty response each, and the user's
 * joined room ids (a set of its own only with a filter naming rooms).
 */
export const createNextBases = (): NextBases => new BoundedCache(1_000);
/** Stored filters kept (a few hundred bytes each). */
export const createFilterCache = () => new BoundedCache<string, FilterDefinition>(1_000);

/** Long-polls never wait longer than this, whatever the client asks. */
export const MAX_TIMEOUT_MS = 600_000;

const PRESENCE_VALUES: readonly PresenceState[] = ['online', 'offline', 'unavailable'];

/** The `filter` parameter: inline JSON when it starts with `{`, else a filter id of the user. */
async function resolveFilter(deps: SyncHandlerDeps, userId: string, param: string | undefined) {
  if (param === undefined) return {};
  if (param.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(param);
    } catch {
      throw notJson('The filter parameter is not valid JSON');
    }
    return parseFilter(json);
  }
  const key = `${userId}\u0000${param}`;
  const known = deps.filters?.get(key);
  if (known) return known;
  const stored = await deps.store.read(deps.accounts.tables, (tx) =>
    deps.accounts.getFilter(tx, userId, param),
  );
  if (stored === undefined) throw invalidParam(`No filter with id ${param}`);
  let filter: FilterDefinition;
  try {
    filter = parseFilter(stored);
  } catch {
    throw badJson(`Filter ${param} is not a valid filter`);
  }
  // Every request of the user with this id gets this one object: frozen, a
  // change one of them made throws instead of reaching the others (a copy:
  // its lists are the stored row's).
  const shared = deepFreeze(copyOf(filter));
  deps.filters?.set(key, shared);
  return shared;
}

/** Freezes `value` and everything in it. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Spec set_presence: omitted means online; `offline` means "do not mark
 * online" (it does not log the user off); `unavailable` marks idle.
 */
async function applyPresence(
  deps: SyncHandlerDeps,
  userId: string,
  param: string | undefined,
): Promise<void> {
  if (param !== undefined && !PRESENCE_VALUES.includes(param as PresenceState)) {
    throw invalidParam('set_presence must be online, offline or unavailable');
  }
  if (param === 'offline') return;
  await deps.accounts.setPresence(userId, (param ?? 'online') as PresenceState);
}

export async function getSync(deps: SyncHandlerDeps, ctx: RequestContext): Promise<HandlerResult> {
  const { req } = ctx;
  const caller = ctx.caller!;
  const sinceParam = queryParam(req, 'since');
  const since = sinceParam ? parseSyncToken(sinceParam) : undefined;
  const timeoutMs = Math.min(queryInteger(req, 'timeout', { min: 0 }) ?? 0, MAX_TIMEOUT_MS);
  const fullState = queryBoolean(req, 'full_state') ?? false;
  const filterParam = queryParam(req, 'filter');
  const filter: FilterDefinition = await resolveFilter(deps, caller.userId, filterParam);
  await applyPresence(deps, caller.userId, queryParam(req, 'set_presence'));
  const request: SyncRequest = {
    userId: caller.userId,
    deviceId: caller.deviceId,
    fullState,
    filter,
    ...(since ? { since } : {}),
  };
  // Notices before the last compute read storage: any change committed after that read notified after it.
  let noticesBefore = deps.notifier.notices;
  // The base the device's last answer left for this sync, if this is the sync it was for.
  const device = `${caller.userId}\u0000${caller.deviceId}`;
  const next = deps.next?.get(device);
  let base: ViewBase | undefined =
    next && !fullState && next.token === sinceParam && next.filter === filterParam ? next.base : undefined;
  const fromView = () =>
    base &&
    deps.view &&
    deps.unread &&
    answerFromView({
      view: deps.view,
      base,
      request,
      typingSerial: deps.typing.serial,
      now: deps.clock.now(),
      unread: deps.unread,
    });
  const compute = async () => {
    noticesBefore = deps.notifier.notices;
    const answered = fromView();
    if (answered) {
      base = answered;
      const empty = isEmptySync(answered.built.response);
      return { result: answered, empty, rooms: answered.built.joinedRooms };
    }
    const serial = deps.view?.log.serial ?? 0;
    const built = await deps.store.read(deps.tables, (tx) =>
      buildSync({
        tx,
        request,
        typing: deps.typing,
        accounts: deps.accounts,
        keys: deps.keys,
        now: deps.clock.now(),
        ...(deps.unread ? { unread: deps.unread } : {}),
      }),
    );
    base = { built, serial };
    // An initial or full-state sync always answers at once.
    const empty = since !== undefined && !fullState && isEmptySync(built.response);
    return { result: base, empty, rooms: built.joinedRooms };
  };
  // The last answer computed, and the base it leaves.
  const last = await longPoll<ViewBase>({
    clock: deps.clock,
    notifier: deps.notifier,
    userId: caller.userId,
    timeoutMs,
    ...(req.closed ? { closed: req.closed } : {}),
    compute,
    // Answered from memory: one storage transaction less per long-poll.
    changedSince: async ({ result }) =>
      deps.typing.serial !== result.built.typingSerial || deps.notifier.notices !== noticesBefore,
  });
  const { built } = last;
  const answered = nextBase(last, filter);
  if (answered)
    deps.next?.set(device, { token: built.response.next_batch, filter: filterParam, base: answered });
  else deps.next?.delete(device);
  // Spec: to-device messages are deleted once the client acknowledged them with its next `since`.
  if (since && built.toDeviceAcknowledged)
    await deps.keys.acknowledge(caller.userId, caller.deviceId, since.stream);
  return { body: built.response };
}
