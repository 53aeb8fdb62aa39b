// What this server sends to others, always through the persisted outbox
// (outbox.ts) and the destination senders (sender.ts):
// - every local event, to the servers joined to its room (and the target's
//   server of a member event, e.g. someone kicked); an invite of a user of
//   another server also goes to that server with PUT /invite;
// - events that peers gave us through send_join/send_leave, to the room's
//   other servers (the joining server does not know them yet);
// - typing and receipt EDUs of local users;
// - on catch-up, our forward extremities (catch-up.ts).
import type { LocalEventHooks } from '../rooms/api.ts';
import {
  extremityIds,
  heldRoomIds,
  heldRoomVersion,
  joinedServers,
  roomTableNames,
} from '../rooms/federation-api.ts';
import { type RoomVersion, pduFromRoomEvent } from '../protocol.ts';
import { BoundedCache } from '../protocol/bounded-cache.ts';
import type { JsonObject, RoomEvent } from '../protocol/types.ts';
import { handled } from '../storage/issued.ts';
import type { ReadTx, Store, WriteTx } from '../storage/port.ts';
import { enqueue, enqueueRows } from './outbox.ts';
import type { Handed, Senders } from './sender.ts';
import type { OutboxRow } from './tables.ts';
import { OUTBOX } from './tables.ts';

export interface OutboundDeps {
  readonly store: Store;
  readonly serverName: string;
  readonly senders: Senders;
}

export interface Outbound {
  /** The rooms module's hook: local events are queued in the transaction that persists them. */
  readonly localEvents: LocalEventHooks;
  /** Queues events a peer gave us to the room's other servers, but not `except`. */
  forward(events: readonly RoomEvent[], except: string): Promise<void>;
  /** Queues an EDU about a room to the room's other servers. */
  roomEdu(roomId: string, edu: { eduType: string; content: JsonObject }): Promise<void>;
  /**
   * Catch-up: queues to `destination` our forward extremities of every room
   * we share with it. What it lacks before them, it pulls from us
   * (get_missing_events), whoever sent those events first.
   */
  offerExtremities(destination: string): Promise<void>;
}

const TABLES = [OUTBOX, ...roomTableNames];
const serverOf = (userId: string) => userId.slice(userId.indexOf(':') + 1);

/** Room versions remembered for handing local events over (a room's version never changes). */
const REMEMBERED_ROOM_VERSIONS = 10_000;

export function createOutbound(deps: OutboundDeps): Outbound {
  const { serverName: self } = deps;
  // The rows queued per event object, from the transaction to after its commit.
  const queued = new WeakMap<RoomEvent, { rows: OutboxRow[]; version: RoomVersion | undefined }>();
  // Delivered rows the write of these events deleted (sender.ts), keyed by its first event.
  const deleted = new WeakMap<RoomEvent, readonly number[]>();
  const versions = new BoundedCache<string, RoomVersion>(REMEMBERED_ROOM_VERSIONS);
  const versionOf = async (tx: ReadTx, roomId: string) => {
    const known = versions.get(roomId);
    if (known) return known;
    const version = await heldRoomVersion(tx, roomId);
    if (version) versions.set(roomId, version);
    return version;
  };
  const wake = (destinations: Iterable<string>) => {
    for (const destination of destinations) deps.senders.wake(destination);
  };
  return {
    localEvents: {
      tables: TABLES,
      async persisted(tx, events) {
        // The write flushes to disk anyway: delivered rows go with it, not in a
        // commit of their own; their deletes go out beside the queueing's requests.
        const first = events[0];
        const removing = first && handled(deps.senders.removeDelivered(tx));
        for (const event of events) {
          const rows = await queueLocal(tx, event, self);
          queued.set(event, {
            rows,
            version: rows.length > 0 ? await versionOf(tx, event.room_id) : undefined,
          });
        }
        if (first && removing) deleted.set(first, await removing);
      },
      committed(events) {
        const removed = events[0] && deleted.get(events[0]);
        if (removed) deps.senders.removed(removed);
        // The senders get the committed rows with their PDUs, so that a local
        // event leaves without its sender reading storage (sender.ts).
        const handed = new Map<string, Handed[]>();
        for (const event of events) {
          const { rows = [], version } = queued.get(event) ?? {};
          const pdu = version && pduFromRoomEvent(event, version);
          for (const row of rows) {
            const list = handed.get(row.destination) ?? [];
            list.push(pdu && row.kind === 'pdu' ? { row, pdu } : { row });
            handed.set(row.destination, list);
          }
        }
        for (const [destination, entries] of handed) deps.senders.handOff(destination, entries);
      },
    },
    async forward(events, except) {
      const destinations = await deps.store.write(TABLES, async (tx) => {
        const all = new Set<string>();
        for (const event of events) {
          const servers = await joinedServers(tx, event.room_id);
          servers.delete(except);
          const item = { kind: 'pdu', roomId: event.room_id, eventId: event.event_id } as const;
          for (const d of await enqueue(tx, servers, item, self)) all.add(d);
        }
        return all;
      });
      wake(destinations);
    },
    async roomEdu(roomId, edu) {
      const destinations = await deps.store.write(TABLES, async (tx) =>
        enqueue(tx, await joinedServers(tx, roomId), { kind: 'edu', ...edu }, self),
      );
      wake(destinations);
    },
    async offerExtremities(destination) {
      const queued = await deps.store.write(TABLES, async (tx) => {
        let count = 0;
        for (const roomId of await heldRoomIds(tx)) {
          const servers = await joinedServers(tx, roomId);
          if (!servers.has(destination) || !servers.has(self)) continue;
          for (const eventId of await extremityIds(tx, roomId)) {
            count += (await enqueue(tx, [destination], { kind: 'pdu', roomId, eventId }, self)).length;
          }
        }
        return count;
      });
      if (queued > 0) wake([destination]);
    },
  };
}

/** Queues one local event (see the header); returns the rows. */
async function queueLocal(tx: WriteTx, event: RoomEvent, self: string): Promise<OutboxRow[]> {
  const servers = await destinationsOf(tx, event);
  const target = event.type === 'm.room.member' ? event.state_key : undefined;
  const out: OutboxRow[] = [];
  if (target !== undefined && event.content.membership === 'invite' && serverOf(target) !== self) {
    const invitee = serverOf(target);
    out.push(
      ...(await enqueueRows(
        tx,
        [invitee],
        { kind: 'invite', roomId: event.room_id, eventId: event.event_id },
        self,
      )),
    );
    // The invitee's server gets the invite itself; the room's traffic only if it is in the room.
    if (!(await joinedServers(tx, event.room_id)).has(invitee)) servers.delete(invitee);
  }
  const item = { kind: 'pdu', roomId: event.room_id, eventId: event.event_id } as const;
  out.push(...(await enqueueRows(tx, servers, item, self)));
  return out;
}

/** The servers an event goes to: those joined now, and a member event's target's. */
async function destinationsOf(tx: ReadTx, event: RoomEvent): Promise<Set<string>> {
  const servers = await joinedServers(tx, event.room_id);
  if (event.type === 'm.room.member' && event.state_key !== undefined) servers.add(serverOf(event.state_key));
  return servers;
}
