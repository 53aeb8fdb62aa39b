// The homeserver's sinks for incoming EDUs (edus.ts): typing goes to the
// in-memory typing tracker, receipts to sync's receipts table, presence to
// the accounts module. An adapter for the composition root, like
// module-adapters.ts: the rest of room federation does not know these modules.
import { PRESENCE } from '../accounts/tables.ts';
import { setPresence } from '../accounts/api.ts';
import type { Clock } from '../ports.ts';
import * as rooms from '../rooms/api.ts';
import type { Store } from '../storage/port.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import type { Notifier } from '../sync/notifier.ts';
import { putReceipt } from '../sync/receipts.ts';
import { RECEIPTS } from '../sync/tables.ts';
import type { TypingTracker } from '../sync/typing.ts';
import type { EduSinks } from './edus.ts';

export interface EduSinkDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly notifier: Notifier;
  readonly typing: TypingTracker;
}

export function homeserverEduSinks(deps: EduSinkDeps): EduSinks {
  return {
    typing: (roomId, userId, typing) => deps.typing.set(roomId, userId, typing),
    async receipt(r) {
      const stored = await deps.store.write([RECEIPTS, STREAM_TABLE, ...rooms.roomTableNames], async (tx) => {
        const stream = await rooms.eventStream(tx, r.eventId);
        const [event] = stream === undefined ? [] : await rooms.eventsByIds(tx, [r.eventId], 0);
        if (event?.room_id !== r.roomId || stream === undefined) return false;
        return putReceipt(tx, { ...r, type: 'm.read', eventStream: stream });
      });
      if (stored) deps.notifier.notify({ rooms: [r.roomId] });
      return stored;
    },
    async presence(userId, presence, statusMsg, lastActiveAgo) {
      const at = deps.clock.now() - lastActiveAgo;
      const changed = await deps.store.write([PRESENCE, STREAM_TABLE], (tx) =>
        setPresence(tx, userId, presence, statusMsg ?? null, at),
      );
      if (changed !== undefined) deps.notifier.notify({ everyone: true });
    },
  };
}
