// Tables owned by the rooms module (the homeserver's schema, src/core/schema.ts, lists them through api.ts).
//
// Storage design. A room is a DAG of signed PDUs; this server stores it so
// that a later federation issue can add events from peers without migrating:
//
// - `room_events` holds every event by id: the full PDU (already pruned once
//   redacted), its room, depth, type, state_key, sender and ts, and
//   * `stream`: the global stream position (storage/stream.ts) of events in
//     the timeline. Outliers (auth events fetched over federation, rejected
//     events) have none, so they are absent from the timeline indexes.
//   * `sg_before` / `sg_after`: the state groups of the room state before and
//     after the event (equal for non-state events).
//   * `redacted_by`, `rejected` (reason; set by federation, never by local
//     sends, which are refused instead), `relates_to`/`rel_type` from
//     `content["m.relates_to"]`, and the sender's device/txnId of local sends
//     (unsigned.transaction_id is shown to that device only).
// - State at each event: immutable state groups (`room_state_groups`), as
//   Synapse does. A group is either a snapshot (no `prev`, `delta` is the whole
//   state) or a delta over its `prev` group. A state event creates a group with
//   a one-entry delta over the group before it; a new snapshot is taken every
//   SNAPSHOT_INTERVAL deltas, so reading any state walks at most that many
//   rows. Forks (federation) are just two groups sharing a parent, and a
//   resolved state becomes a new group, so "state before event X" (for
//   /state_ids and auth of incoming events) is always `sg_before` of X.
// - `room_current_state` is the room's current state (type/state_key → event
//   id) for fast reads; it always equals the state of the forward extremities.
// - `room_extremity_sets` (schema version 12): a room's forward extremities
//   (events with no children), which become the prev_events of the next
//   event built here, in one row per room (extremities.ts). `room_extremities`,
//   a row per (room, event) before, keeps a room's rows from before version
//   12 until its first write.
// - `room_members`: the current membership of every user in every room,
//   carrying the stream position of the member event and the last position
//   at which the user joined (history visibility "shared"), indexed by user
//   and stream so sync can ask "membership changes of @u since N".
// - `room_txns`: (user, device, txnId) → event id and the request's hash,
//   for idempotent sends.
// - `room_aliases` (alias → room), `room_directory` (published rooms),
//   `room_forgotten` (user, room), and `rooms` (version, creator).
// - `room_pending_redactions` (target → redaction): redactions whose target
//   was not held when they were placed (history arrives newest first when
//   backfilling, and peers may send events out of order); the target is
//   pruned when it is placed (persist-backfill.ts, persist-remote.ts).
// - Federation (persist-remote.ts): `room_edges` (prev event → event), for
//   prev events that may be placed later (mayBePlacedLater; a placed one is
//   never asked), tells whether an event arriving late already has children
//   (then it is no forward extremity); `room_invite_state` keeps the stripped state a remote
//   server sent with an invite to a room this server does not hold. Events
//   from peers may be `outlier` (held without their place in the DAG: auth
//   chains, state from send_join or state_ids; their state groups are the
//   room's state when they were stored, good for history visibility only),
//   `soft_failed` (checked fine against their own state but not against the
//   current state: kept, never in the timeline nor an extremity) or
//   `rejected`. None of these three has a stream position.
// - The search index: a timeline event's row carries its entries (room,
//   term, stream), the events table's multiEntry index `search`, written
//   with the event and dropped with its text on redaction (search-index.ts);
//   a room is a small number there, from `room_search_rooms`. (`room_search`,
//   schema versions 4 to 8, held the room and event ids in a row per term;
//   `room_search_terms`, versions 9 and 10, a row per term too.)
// - `room_reports`: reports of events, rooms and users for the owner (reports.ts).
// - `room_referenced` (room, event id): ids an event placed here named (as a
//   prev event, or as its thread's root) while the event they name may still
//   be placed (mayBePlacedLater: not held, or an outlier).
//   Placing a batch of events from peers reads the room's rows once
//   (remote-batch.ts) and asks the edges and the thread replies only of the
//   ids among them, where it asked for every event; a row goes when its
//   event is placed (in the timeline, rejected or soft-failed; from peers or
//   by backfill). Rooms created or joined before schema version 10 have no
//   rows (their row lacks `referenced`): theirs asks every event as before.
import type { TableSpec } from '../storage/port.ts';
import type { RoomEvent } from '../protocol/types.ts';
import type { StrippedStateEvent } from './client-event.ts';
import { table } from '../storage/table.ts';
import { STREAM_TABLE } from '../storage/stream.ts';

export const ROOMS = 'rooms';
export const EVENTS = 'room_events';
export const STATE_GROUPS = 'room_state_groups';
export const CURRENT_STATE = 'room_current_state';
export const EXTREMITIES = 'room_extremities';
export const EXTREMITY_SETS = 'room_extremity_sets';
export const MEMBERS = 'room_members';
export const TXNS = 'room_txns';
export const ALIASES = 'room_aliases';
export const DIRECTORY = 'room_directory';
export const FORGOTTEN = 'room_forgotten';
export const EDGES = 'room_edges';
export const INVITE_STATE = 'room_invite_state';
export const PENDING_REDACTIONS = 'room_pending_redactions';
export const SEARCH = 'room_search';
export const SEARCH_ROOMS = 'room_search_rooms';
export const SEARCH_TERMS = 'room_search_terms';
export const REPORTS = 'room_reports';
export const REFERENCED = 'room_referenced';

/** A new full snapshot after this many deltas in a chain. */
export const SNAPSHOT_INTERVAL = 32;

export const roomTables: Record<string, TableSpec> = {
  [ROOMS]: { key: 'room_id' },
  [EVENTS]: {
    key: 'event_id',
    indexes: {
      room_stream: ['room_id', 'stream'],
      stream: 'stream',
      room_ts: ['room_id', 'ts'],
      relation: ['relates_to', 'stream'],
      relation_type: ['relates_to', 'rel_type', 'stream'],
    },
  },
  [STATE_GROUPS]: { key: 'id', autoIncrement: true },
  [CURRENT_STATE]: { key: ['room_id', 'type', 'state_key'], indexes: { room: 'room_id' } },
  [EXTREMITIES]: { key: ['room_id', 'event_id'], indexes: { room: 'room_id' } },
  [MEMBERS]: {
    key: ['room_id', 'user_id'],
    indexes: { user_stream: ['user_id', 'stream'], room_membership: ['room_id', 'membership'] },
  },
  [TXNS]: { key: ['user_id', 'device_id', 'txn_id'] },
  [ALIASES]: { key: 'alias', indexes: { room: 'room_id' } },
  [DIRECTORY]: { key: 'room_id' },
  [FORGOTTEN]: { key: ['user_id', 'room_id'], indexes: { user: 'user_id' } },
  [EDGES]: { key: ['prev_id', 'event_id'] },
  [INVITE_STATE]: { key: ['room_id', 'user_id'] },
};

/**
 * From schema version 11: the search index inside the event rows (the
 * events table's multiEntry index `search` over `EventRow.search`,
 * search-index.ts), where `room_search_terms` held a row per term; the
 * room numbers stay in `room_search_rooms`.
 */
export const roomSearchRowTables: Record<string, TableSpec> = {
  [EVENTS]: {
    ...roomTables[EVENTS]!,
    indexes: { ...roomTables[EVENTS]!.indexes, search: { path: 'search', multiEntry: true } },
  },
  [SEARCH_ROOMS]: { key: 'room_id' },
};

/** The search index, added in schema version 4 (released versions keep their table lists). */
export const roomSearchTables: Record<string, TableSpec> = {
  [SEARCH]: { key: ['room_id', 'term', 'stream'] },
};

/**
 * The search index from schema version 9 (search-index.ts): a room's number
 * (1, 2, … in the order rooms got their first indexed event) and the rows,
 * keyed by the room's number, the term and the event's stream position.
 */
export const roomSearchTermTables: Record<string, TableSpec> = {
  [SEARCH_ROOMS]: { key: 'room_id' },
  [SEARCH_TERMS]: { key: ['r', 't', 's'] },
};

/** Redactions waiting for their target, added in schema version 5. */
export const roomRedactionTables: Record<string, TableSpec> = {
  [PENDING_REDACTIONS]: { key: ['target_id', 'redaction_id'] },
};

/** Reports of content (reports.ts), added in schema version 6. */
export const roomReportTables: Record<string, TableSpec> = {
  [REPORTS]: { key: 'id', autoIncrement: true },
};

/** Ids referenced before they were placed (see the header), added in schema version 10. */
export const roomReferencedTables: Record<string, TableSpec> = {
  [REFERENCED]: { key: ['room_id', 'event_id'] },
};

/** A room's forward extremities in one row (extremities.ts), added in schema version 12. */
export const roomExtremitySetTables: Record<string, TableSpec> = {
  [EXTREMITY_SETS]: { key: 'room_id' },
};

/** Every table of the module: open transactions over these. */
export const roomTableNames: readonly string[] = Object.keys({
  ...roomTables,
  ...roomSearchRowTables,
  ...roomRedactionTables,
  ...roomReportTables,
  ...roomReferencedTables,
  ...roomExtremitySetTables,
});

/**
 * Rows of these tables the homeserver's row cache keeps (homeserver-store.ts):
 * events are a few KB at most (PDU size limit 64 KiB, usually under 2 KB); a
 * state group row can hold a whole room's state, so few are kept.
 */
export const roomRowCacheSizes: Readonly<Record<string, number>> = {
  [EVENTS]: 4096,
  [STATE_GROUPS]: 256,
  [ROOMS]: 1024,
  [SEARCH_ROOMS]: 1024,
};

export type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock';

export interface RoomRow extends Record<string, unknown> {
  room_id: string;
  version: string;
  creator: string;
  created_ts: number;
  /** State group of the room's current state (the resolved state of its forward extremities). */
  state_group: number;
  /** Created or joined at schema version 10 or later: `room_referenced` holds its ids referenced before placed. */
  referenced?: true;
}

export interface EventRow extends Record<string, unknown> {
  event_id: string;
  room_id: string;
  /** Timeline position; absent for outliers. */
  stream?: number;
  depth: number;
  type: string;
  state_key?: string;
  sender: string;
  ts: number;
  /** The PDU with its event_id; pruned (redaction algorithm) once redacted. */
  pdu: RoomEvent;
  sg_before: number;
  sg_after: number;
  /** For state events: the event this one replaced in the state before it (unsigned.prev_content). */
  replaces?: string;
  redacted_by?: string;
  /** Why federation rejected this event (never set for local events). */
  rejected?: string;
  /** Held without its place in the DAG (see the header); its state groups are approximate. */
  outlier?: boolean;
  /** Passed the checks against its own state, failed against the current state (see the header). */
  soft_failed?: boolean;
  /** A reply in a thread rooted here was placed (threads.ts). */
  thread_root?: boolean;
  relates_to?: string;
  rel_type?: string;
  txn_device?: string;
  txn_id?: string;
  /**
   * A timeline event's search index entries, one per distinct term
   * (search-index.ts); none once redacted. Frozen where the homeserver made
   * or cached them: replace, never change in place.
   */
  search?: readonly SearchEntry[];
}

/**
 * One term of a timeline event's searchable text in the search index
 * (search-index.ts): the room's number (room_search_rooms), the term, the
 * event's stream position; keys sort by stream within a room's term.
 */
export type SearchEntry = readonly [room: number, term: string, stream: number];

/** One entry of a state group's delta: [type, state_key, event_id]. */
export type StateEntry = [type: string, stateKey: string, eventId: string];

export interface StateGroupRow extends Record<string, unknown> {
  id?: number;
  room_id: string;
  /** Absent for a snapshot. */
  prev?: number;
  /** Number of deltas since the last snapshot (0 for a snapshot). */
  chain: number;
  delta: StateEntry[];
}

export interface CurrentStateRow extends Record<string, unknown> {
  room_id: string;
  type: string;
  state_key: string;
  event_id: string;
}

/** The current-state row a state event (its state key given, as checked) sets. */
export function currentStateRowOf(event: RoomEvent, stateKey: string): CurrentStateRow {
  return { room_id: event.room_id, type: event.type, state_key: stateKey, event_id: event.event_id };
}

export interface ExtremityRow extends Record<string, unknown> {
  room_id: string;
  event_id: string;
}

/** A room's forward extremities, sorted (key order, as the per-event rows were read). */
export interface ExtremitySetRow extends Record<string, unknown> {
  room_id: string;
  event_ids: string[];
}

export interface MemberRow extends Record<string, unknown> {
  room_id: string;
  user_id: string;
  membership: Membership;
  event_id: string;
  stream: number;
  sender: string;
  /** Stream position of the user's latest join (absent if never joined). */
  joined_stream?: number;
  displayname?: string;
  avatar_url?: string;
}

export interface TxnRow extends Record<string, unknown> {
  user_id: string;
  device_id: string;
  txn_id: string;
  room_id: string;
  event_id: string;
  /** sha256 (base64) of the request's method, path and body: a txnId reused for another request is refused. */
  hash: string;
}

export interface AliasRow extends Record<string, unknown> {
  alias: string;
  room_id: string;
  creator: string;
}

export interface DirectoryRow extends Record<string, unknown> {
  room_id: string;
  visibility: 'public';
}

export interface ForgottenRow extends Record<string, unknown> {
  user_id: string;
  room_id: string;
}

export interface EdgeRow extends Record<string, unknown> {
  prev_id: string;
  event_id: string;
}

/** What a remote server showed with an invite to a room we do not hold (spec: invite_room_state). */
export interface InviteStateRow extends Record<string, unknown> {
  room_id: string;
  user_id: string;
  events: StrippedStateEvent[];
}

/** A redaction placed before its target (see the header). */
export interface PendingRedactionRow extends Record<string, unknown> {
  target_id: string;
  redaction_id: string;
}

/**
 * Whether an event held as `row` (undefined: not held) may still be placed
 * with its place in the DAG, so that a `room_referenced` row must tell it
 * then that it was named (see the header): one not held, or held as an
 * outlier. An event held with its place (accepted, rejected or soft-failed)
 * is never placed again (placing from peers answers it from its row), and
 * rejected and soft-failed events get no stream position, no extremity and
 * no thread: the reader of the rows (remote-batch.ts) asks only of events it
 * places in the timeline. A rejected outlier is checked again when it is
 * placed, against its auth events as stored, which a redaction may have cut
 * since (before room version 11 it strips power levels' `invite`), so it
 * may be accepted then: it keeps its rows (found in review).
 */
export function mayBePlacedLater(row: Pick<EventRow, 'outlier'> | undefined): boolean {
  return !heldWithPlace(row);
}

/**
 * Whether an event held as `row` has its place in the DAG (accepted,
 * rejected or soft-failed): the opposite of mayBePlacedLater. Placing it
 * again answers from its row; as a prev event it is known (gap filling)
 * and, unless rejected, gives its state after.
 */
export function heldWithPlace<R extends Pick<EventRow, 'outlier'>>(row: R | undefined): row is R {
  return row !== undefined && row.outlier !== true;
}

/** Keys of the rows whose primary key (compound: [id, …]) starts with `id`. */
export const startingWith = (id: string) => ({ range: { lower: [id, ''], upper: [id, '\uffff'] } }) as const;

/** An id an event named before the event it names was placed (see the header). */
export interface ReferencedRow extends Record<string, unknown> {
  room_id: string;
  event_id: string;
}

/** A room's number in the search index (search-index.ts). */
export interface SearchRoomRow extends Record<string, unknown> {
  room_id: string;
  r: number;
}

/** A report of an event, a room or a user (reports.ts). */
export interface ReportRow extends Record<string, unknown> {
  id?: number;
  kind: 'event' | 'room' | 'user';
  reporter: string;
  reason: string;
  ts: number;
  room_id?: string;
  event_id?: string;
  user_id?: string;
  score?: number;
  event?: Record<string, unknown>;
}

// The tables with their row and key types (storage/table.ts): read and write through these.
export const roomsTable = table<RoomRow, string>(ROOMS);
export const eventsTable = table<EventRow, string>(EVENTS);
export const stateGroupsTable = table<StateGroupRow, number>(STATE_GROUPS);
export const currentStateTable = table<CurrentStateRow, readonly [string, string, string]>(CURRENT_STATE);
export const extremitiesTable = table<ExtremityRow, readonly [string, string]>(EXTREMITIES);
export const extremitySetsTable = table<ExtremitySetRow, string>(EXTREMITY_SETS);
export const membersTable = table<MemberRow, readonly [string, string]>(MEMBERS);
export const roomTxnsTable = table<TxnRow, readonly [string, string, string]>(TXNS);
export const aliasesTable = table<AliasRow, string>(ALIASES);
export const directoryTable = table<DirectoryRow, string>(DIRECTORY);
export const forgottenTable = table<ForgottenRow, readonly [string, string]>(FORGOTTEN);
export const edgesTable = table<EdgeRow, readonly [string, string]>(EDGES);
export const inviteStateTable = table<InviteStateRow, readonly [string, string]>(INVITE_STATE);
export const pendingRedactionsTable = table<PendingRedactionRow, readonly [string, string]>(
  PENDING_REDACTIONS,
);
export const searchRoomsTable = table<SearchRoomRow, string>(SEARCH_ROOMS);
export const referencedTable = table<ReferencedRow, readonly [string, string]>(REFERENCED);

/** The search re-index's progress (search-reindex.ts): one named row of the stream's counters table. */
export interface SearchReindexRow extends Record<string, unknown> {
  /** `search_rows` from schema version 11 (`search_reindex`, the walk of versions 9 and 10, is dropped). */
  name: 'search_rows';
  /** The stream position at the first run: events above it were indexed when placed. */
  upto: number;
  /** The stream position of the last event re-indexed (absent before the first batch). */
  after?: number;
  /** Set when every event up to `upto` has been walked. */
  done?: boolean;
}
export const searchReindexTable = table<SearchReindexRow, string>(STREAM_TABLE);
export const reportsTable = table<ReportRow, number>(REPORTS);
