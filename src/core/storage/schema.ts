// The homeserver's storage schema: an append-only list of versions. Each core
// module declares its own tables; a released version is never edited, a change
// adds a new version with the full table list.
import { accountTables } from '../accounts/tables.ts';
import { federationTables } from '../federation/tables.ts';
import { keysTables } from '../keys/api.ts';
import { roomTables } from '../rooms/tables.ts';
import { syncTables } from '../sync/tables.ts';
import type { SchemaVersion } from './port.ts';
import { streamTables } from './stream.ts';

export const SCHEMA: readonly SchemaVersion[] = [
  {
    version: 1,
    tables: { ...streamTables, ...accountTables, ...roomTables, ...syncTables, ...federationTables },
  },
  {
    version: 2,
    tables: {
      ...streamTables,
      ...accountTables,
      ...roomTables,
      ...syncTables,
      ...federationTables,
      ...keysTables,
    },
  },
];
