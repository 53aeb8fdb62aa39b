// The rooms module's hooks for room federation, when the federation is made
// after the rooms' deps (the composition root's cycle, see federation.ts).
import { roomTableNames } from '../rooms/federation-api.ts';
import type { Federation, FederationRoomHooks } from './federation.ts';
import { OUTBOX } from './tables.ts';

/**
 * Room hooks for a federation created after the rooms' deps (see the header):
 * they forward to the federation once attached; before that, joins and
 * leaves of remote rooms fail and local events are not queued.
 */
export function deferredRoomHooks(): { hooks: FederationRoomHooks; attach(federation: Federation): void } {
  let target: Federation | undefined;
  const need = () => {
    if (!target) throw new Error('federation is not attached yet');
    return target.roomHooks;
  };
  return {
    hooks: {
      remoteJoin: (request) => need().remoteJoin(request),
      remoteLeave: (request) => need().remoteLeave(request),
      localEvents: {
        tables: [OUTBOX, ...roomTableNames],
        persisted: async (tx, events) => target?.roomHooks.localEvents.persisted(tx, events),
        committed: (events) => target?.roomHooks.localEvents.committed(events),
      },
    },
    attach: (federation) => {
      target = federation;
    },
  };
}
