// The network settings (src/platform/web/network-settings.ts) in
// storage.local. Every write is checked; a stored value that no longer
// passes the checks falls back to the default for that field.
import { KeyedQueue } from '../../src/core/public.ts';
import {
  checkSettings,
  DEFAULT_SETTINGS,
  type NetworkSettings,
} from '../../src/platform/web/network-settings.ts';
import type { KeyValueArea } from './key-value-area.ts';

export const SETTINGS_KEY = 'networkSettings';

export interface NetworkSettingsStore {
  get(): Promise<NetworkSettings>;
  /** Replaces the given fields (each checked) and returns the settings now in force. */
  update(change: Partial<NetworkSettings>): Promise<NetworkSettings>;
}

export function createNetworkSettingsStore(area: KeyValueArea): NetworkSettingsStore {
  // storage.local has no transactions: read-modify-write runs one at a time.
  const queue = new KeyedQueue();
  const get = async () => checkSettings((await area.get(SETTINGS_KEY)) ?? DEFAULT_SETTINGS, true);
  return {
    get,
    update: (change) =>
      queue.run(SETTINGS_KEY, async () => {
        const next = checkSettings({ ...(await get()), ...change });
        await area.set(SETTINGS_KEY, next);
        return next;
      }),
  };
}
