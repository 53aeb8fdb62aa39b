// A bench-only bulk import into the extension's own database, for the search
// bench at 100,000 messages: over federation the worker takes minutes to tens
// of minutes for them (each PDU checked: format, signatures, hashes, auth
// rules, state before it), more than the bench's load budget on a shared
// machine. This file is bundled (esbuild, an IIFE: bench/worker-import-run.ts)
// and evaluated in the extension's service worker, where it opens the same
// IndexedDB database (DATABASE_NAME, the same SCHEMA) through the same
// storage code (dexie-store.ts) and files already-signed messages through the
// rooms module's own placing code, persistRemoteEvent in a RemoteBatch,
// as federation's place-events.ts does once an event passed its checks:
// the same event rows (with their search entries), stream positions and
// forward extremities. What it skips are the checks (steps 1 to 6 of "Checks performed
// on receipt of a PDU"): these messages are made by the bench itself.
// The worker's running homeserver caches rows (row-cache.ts) and stream
// positions it did not write here, so the bench stops the worker afterwards
// (stopServiceWorkers) and the searches run on a worker started afresh.
import { DATABASE_NAME } from '../background/worker/database-names.ts';
import type { RoomEvent } from '../src/core/protocol.ts';
import {
  heldRoomVersion,
  persistRemoteEvent,
  RemoteBatch,
  roomWriteTables,
} from '../src/core/rooms/federation-api.ts';
import { SCHEMA } from '../src/core/schema.ts';
import type { Store } from '../src/core/storage/port.ts';
import { openDexieStore } from '../src/platform/dexie/dexie-store.ts';

let store: Promise<Store> | undefined;

/**
 * Places `events` (one room's, each after the one before, messages with no
 * state key) in one write transaction; returns how many got a stream position.
 */
async function importMessages(events: readonly RoomEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  store ??= openDexieStore(DATABASE_NAME, SCHEMA);
  const db = await store;
  const roomId = events[0]!.room_id;
  return db.write(roomWriteTables, async (tx) => {
    const version = await heldRoomVersion(tx, roomId);
    if (!version) throw new Error(`room ${roomId} is not held here`);
    const batch = await RemoteBatch.open(
      tx,
      roomId,
      events.map((e) => e.event_id),
    );
    let placed = 0;
    for (const event of events) {
      if (event.room_id !== roomId || event.state_key !== undefined)
        throw new Error(`${event.event_id}: only one room's messages are imported`);
      // A message leaves the state as it was: the state before it is the room's current state.
      const outcome = await persistRemoteEvent(
        tx,
        event,
        version,
        { sgBefore: batch.room.state_group },
        batch,
      );
      if (outcome.stream !== undefined) placed += 1;
    }
    await batch.finish();
    return placed;
  });
}

/** Closes the import's connection (before the worker is stopped). */
async function closeImport(): Promise<void> {
  const db = await store;
  store = undefined;
  await db?.close();
}

Object.assign(globalThis, { p2pmBenchImport: { importMessages, closeImport } });
