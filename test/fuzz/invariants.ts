// What must hold in a homeserver's store after any run, read straight from
// its tables (the SQLite file a killed `serve` left): every reference between
// the rooms module's tables points at a row that exists and says the same
// thing, the current state is the state of the room's state group, and every
// event and room the server acknowledged is there.
import { roomTableNames } from '../../src/core/rooms/api.ts';
import { loadStateGroup } from '../../src/core/rooms/state-groups.ts';
import {
  currentStateTable,
  eventsTable,
  extremitiesTable,
  extremitySetsTable,
  membersTable,
  roomsTable,
  roomTxnsTable,
  stateGroupsTable,
} from '../../src/core/rooms/tables.ts';
import { stateKeyOf } from '../../src/core/protocol/types.ts';
import type { Store } from '../../src/core/storage/port.ts';
import type { Acknowledged } from './cs-fuzz.ts';

/** Every broken rule, one line each (empty when the store is sound). */
export async function storeProblems(store: Store, ack: Acknowledged): Promise<string[]> {
  return store.read(roomTableNames, async (tx) => {
    const problems: string[] = [];
    const events = new Map((await eventsTable.query(tx)).map((e) => [e.event_id, e]));
    const groups = new Set((await stateGroupsTable.query(tx)).map((g) => g.id));
    const rooms = await roomsTable.query(tx);
    const streams = new Set<number>();
    for (const e of events.values()) {
      if (!groups.has(e.sg_before) || !groups.has(e.sg_after))
        problems.push(`event ${e.event_id}: a state group is missing`);
      if (e.pdu.room_id !== e.room_id || e.pdu.type !== e.type)
        problems.push(`event ${e.event_id}: row and PDU differ`);
      if (e.stream !== undefined) {
        if (streams.has(e.stream)) problems.push(`event ${e.event_id}: stream ${e.stream} used twice`);
        streams.add(e.stream);
        if (e.outlier || e.rejected || e.soft_failed)
          problems.push(`event ${e.event_id}: in the timeline but not accepted`);
      }
    }
    for (const room of rooms) {
      if (!groups.has(room.state_group)) {
        problems.push(`room ${room.room_id}: its state group is missing`);
        continue;
      }
      const state = await loadStateGroup(tx, room.state_group);
      const current = await currentStateTable.query(tx, { index: 'room', equals: room.room_id });
      const currentMap = new Map(current.map((c) => [stateKeyOf(c.type, c.state_key), c.event_id]));
      if (currentMap.size !== state.size || [...state].some(([k, id]) => currentMap.get(k) !== id))
        problems.push(`room ${room.room_id}: the current state is not the state of its group`);
      for (const c of current) {
        const e = events.get(c.event_id);
        if (!e || e.room_id !== room.room_id || e.type !== c.type || e.state_key !== c.state_key)
          problems.push(
            `room ${room.room_id}: current state ${c.type}/${c.state_key} names ${c.event_id}, which does not match`,
          );
      }
    }
    const roomIds = new Set(rooms.map((r) => r.room_id));
    // A room's extremities: its set row (schema 12), or its rows from before,
    // which its first write drops (rooms/extremities.ts): never both.
    const sets = await extremitySetsTable.query(tx);
    const withSet = new Set(sets.map((s) => s.room_id));
    const old = await extremitiesTable.query(tx);
    const extremities = [
      ...sets.flatMap((s) => s.event_ids.map((event_id) => ({ room_id: s.room_id, event_id }))),
      ...old,
    ];
    for (const x of old)
      if (withSet.has(x.room_id))
        problems.push(`room ${x.room_id}: old extremity row ${x.event_id} beside its set`);
    for (const x of extremities) {
      const e = events.get(x.event_id);
      if (!roomIds.has(x.room_id)) problems.push(`extremity ${x.event_id} of unknown room ${x.room_id}`);
      if (!e || e.room_id !== x.room_id || e.stream === undefined)
        problems.push(`extremity ${x.event_id}: no timeline event`);
    }
    for (const m of await membersTable.query(tx)) {
      const e = events.get(m.event_id);
      const membership = (e?.pdu.content as { membership?: unknown } | undefined)?.membership;
      if (e?.type !== 'm.room.member' || e.state_key !== m.user_id || membership !== m.membership)
        problems.push(`member ${m.user_id} in ${m.room_id}: row does not match its event ${m.event_id}`);
    }
    for (const txn of await roomTxnsTable.query(tx))
      if (!events.has(txn.event_id))
        problems.push(`transaction ${txn.txn_id} names missing event ${txn.event_id}`);
    for (const [eventId, roomId] of ack.events) {
      const e = events.get(eventId);
      if (!e) problems.push(`acknowledged event ${eventId} (room ${roomId}) is lost`);
    }
    for (const roomId of ack.rooms)
      if (!roomIds.has(roomId)) problems.push(`acknowledged room ${roomId} is lost`);
    return problems;
  });
}
