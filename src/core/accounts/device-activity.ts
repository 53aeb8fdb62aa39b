// When each device was last used (spec: GET /devices, `last_seen_ts`), which
// clients show in their session lists so a user can spot a session they no
// longer use. Recording every request would add a write to each one; the
// time is kept to LAST_SEEN_GRANULARITY_MS instead, so a device in use costs
// one small write per interval, and one after each start of the process.
import type { Caller } from '../http/route.ts';
import type { Clock, Logger } from '../ports.ts';
import { BoundedCache } from '../protocol/bounded-cache.ts';
import type { Store } from '../storage/port.ts';
import { DEVICES, devicesTable } from './tables.ts';

export const LAST_SEEN_GRANULARITY_MS = 5 * 60_000;
/** Devices remembered as recently recorded; beyond this the oldest are forgotten (and recorded again). */
const MAX_REMEMBERED = 10_000;

export interface DeviceActivity {
  /** The caller's device made an authenticated request now. */
  seen(caller: Caller): Promise<void>;
}

export function createDeviceActivity(deps: {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
}): DeviceActivity {
  const recorded = new BoundedCache<string, number>(MAX_REMEMBERED);
  return {
    async seen({ userId, deviceId }) {
      const key = `${userId}\n${deviceId}`;
      const now = deps.clock.now();
      if (now - (recorded.get(key) ?? Number.NEGATIVE_INFINITY) < LAST_SEEN_GRANULARITY_MS) return;
      recorded.set(key, now);
      try {
        await deps.store.write([DEVICES], async (tx) => {
          const device = await devicesTable.get(tx, [userId, deviceId]);
          const last = device?.last_seen_ts ?? Number.NEGATIVE_INFINITY;
          if (device && now - last >= LAST_SEEN_GRANULARITY_MS)
            await devicesTable.put(tx, { ...device, last_seen_ts: now });
        });
      } catch (err) {
        // Bookkeeping: the request it came with goes on regardless.
        deps.logger.warn('could not record device activity', { error: String(err) });
      }
    },
  };
}
