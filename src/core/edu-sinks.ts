// The homeserver's sinks for incoming EDUs (federation/edus.ts): typing goes
// to the in-memory typing tracker, receipts to the sync module, presence to
// the accounts module, each through its api. Wiring for the composition root
// (federation-wiring.ts): room federation does not know these modules.
import * as accounts from './accounts/api.ts';
import type { Notifier } from './events/notifier.ts';
import type { EduSinks } from './federation/api.ts';
import type { Clock } from './ports.ts';
import type { Store } from './storage/port.ts';
import { storeRemoteReceipt, type TypingTracker } from './sync/api.ts';

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
      const stored = await storeRemoteReceipt(deps.store, r);
      if (stored) deps.notifier.notify({ rooms: [r.roomId] });
      return stored;
    },
    async presence(userId, presence, statusMsg, lastActiveAgo) {
      const at = deps.clock.now() - lastActiveAgo;
      if (await accounts.updatePresence(deps.store, userId, presence, statusMsg ?? null, at)) {
        deps.notifier.notify({ everyone: true });
      }
    },
  };
}
