// What the rest of the homeserver may use of the keys module (end-to-end
// encryption's server side): its tables for the schema, and one
// createKeysModule that gives the Client-Server routes, the /sync section,
// the Server-Server endpoints and EDU handlers, and the hook that removes a
// deleted device's keys. Its ports onto the other modules are in deps.ts.
import type { Route } from '../http/route.ts';
import type { ReadTx, WriteTx } from '../storage/port.ts';
import type { KeysDeps, KeysFederation } from './deps.ts';
import { announceChange, recordLocalChange } from './device-lists.ts';
import { KeysStore } from './keys-store.ts';
import { keysRoutes } from './routes.ts';
import {
  type KeysEduHandler,
  type KeysServerRoute,
  keysEduHandlers,
  keysServerRoutes,
} from './server-side.ts';
import {
  acknowledgeToDevice,
  type KeysSyncRequest,
  type KeysSyncSection,
  keysSyncSection,
} from './sync-section.ts';

export type { KeysAccounts, KeysFederation, KeysRooms, MemberChange } from './deps.ts';
export type { KeysSyncRequest, KeysSyncSection } from './sync-section.ts';
export type { KeysEduHandler, KeysServerRoute } from './server-side.ts';
export { keysTables } from './keys-store.ts';

export type KeysModuleDeps = Omit<KeysDeps, 'keys' | 'federation'>;

/** The /sync section, read in the sync's transaction (open it over `tables`). */
export interface KeysSync {
  readonly tables: readonly string[];
  section(tx: ReadTx, request: KeysSyncRequest): Promise<KeysSyncSection>;
  /** After a response whose section said `acknowledged`: deletes the delivered messages. */
  acknowledge(userId: string, deviceId: string, since: number): Promise<void>;
}

/** Runs in the transaction that deletes devices (accounts), then once it committed. */
export interface DeviceRemovalHook {
  readonly tables: readonly string[];
  removed(tx: WriteTx, userId: string, deviceId: string): Promise<void>;
  committed(): void;
}

export interface KeysModule {
  readonly routes: Route[];
  readonly sync: KeysSync;
  /** Server-Server endpoints and EDU handlers (by EDU type), served on the federation transport. */
  readonly server: { readonly routes: KeysServerRoute[]; readonly edus: Record<string, KeysEduHandler> };
  /** A deleted device's keys go with it, and the user's peers are told (accounts' device deletion). */
  deviceRemoval(): DeviceRemovalHook;
  /**
   * Connects federation (made after this module, since it serves `server`):
   * from then on device list changes and to-device messages for other
   * servers go to its outbox, and other servers' keys are asked over it.
   * Until then, and on a server without a network, the module stands alone.
   */
  connectFederation(federation: KeysFederation): void;
}

export function createKeysModule(moduleDeps: KeysModuleDeps): KeysModule {
  let federation: KeysFederation | undefined;
  const deps: KeysDeps = { ...moduleDeps, keys: new KeysStore(), federation: () => federation };
  return {
    routes: keysRoutes(deps),
    server: { routes: keysServerRoutes(deps), edus: keysEduHandlers(deps) },
    sync: {
      tables: [...deps.keys.tables, ...deps.rooms.tables],
      section: (tx, request) => keysSyncSection(deps, tx, request),
      acknowledge: (userId, deviceId, since) => acknowledgeToDevice(deps, userId, deviceId, since),
    },
    deviceRemoval() {
      const destinations: string[] = [];
      let changed = false;
      const federation = deps.federation();
      return {
        tables: [...deps.keys.tables, ...deps.rooms.tables, ...(federation?.tables ?? [])],
        async removed(tx, userId, deviceId) {
          if ((await deps.keys.deviceKeys(tx, userId, deviceId)) === undefined) {
            await deps.keys.deleteDevice(tx, userId, deviceId);
            return;
          }
          await deps.keys.deleteDevice(tx, userId, deviceId);
          destinations.push(
            ...(await recordLocalChange(deps, tx, userId, { kind: 'device', deviceId, deleted: true })),
          );
          changed = true;
        },
        committed() {
          if (changed) announceChange(deps, [...new Set(destinations)]);
        },
      };
    },
    connectFederation(connected) {
      federation = connected;
    },
  };
}
