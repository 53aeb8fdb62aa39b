// The homeserver's storage schema: an append-only list of versions. Each core
// module declares its own tables; a released version is never edited, a change
// adds a new version with the full table list.
import { accountOpenIdTables, accountTables, accountTokenTables } from './accounts/api.ts';
import { federationTables } from './federation/api.ts';
import { keysTables } from './keys/api.ts';
import { mediaTables } from './media/api.ts';
import {
  roomExtremitySetTables,
  roomRedactionTables,
  roomReferencedTables,
  roomReportTables,
  roomSearchRowTables,
  roomSearchTables,
  roomSearchTermTables,
  roomTables,
} from './rooms/api.ts';
import { syncTables } from './sync/api.ts';
import type { SchemaVersion } from './storage/port.ts';
import { streamTables } from './storage/stream.ts';

/** Version 11's tables, which version 12 adds to. */
const VERSION_11_TABLES = {
  ...streamTables,
  ...accountTables,
  ...accountOpenIdTables,
  ...accountTokenTables,
  ...roomTables,
  ...roomSearchRowTables,
  ...roomRedactionTables,
  ...roomReportTables,
  ...roomReferencedTables,
  ...syncTables,
  ...federationTables,
  ...keysTables,
  ...mediaTables,
};

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
  {
    version: 3,
    tables: {
      ...streamTables,
      ...accountTables,
      ...roomTables,
      ...syncTables,
      ...federationTables,
      ...keysTables,
      ...mediaTables,
    },
  },
  {
    version: 4,
    tables: {
      ...streamTables,
      ...accountTables,
      ...roomTables,
      ...roomSearchTables,
      ...syncTables,
      ...federationTables,
      ...keysTables,
      ...mediaTables,
    },
  },
  // 5: room_pending_redactions (rooms/tables.ts).
  {
    version: 5,
    tables: {
      ...streamTables,
      ...accountTables,
      ...roomTables,
      ...roomSearchTables,
      ...roomRedactionTables,
      ...syncTables,
      ...federationTables,
      ...keysTables,
      ...mediaTables,
    },
  },
  // 6: room_reports (rooms/tables.ts).
  {
    version: 6,
    tables: {
      ...streamTables,
      ...accountTables,
      ...roomTables,
      ...roomSearchTables,
      ...roomRedactionTables,
      ...roomReportTables,
      ...syncTables,
      ...federationTables,
      ...keysTables,
      ...mediaTables,
    },
  },
  // 7: openid_tokens (accounts/tables.ts).
  {
    version: 7,
    tables: {
      ...streamTables,
      ...accountTables,
      ...accountOpenIdTables,
      ...roomTables,
      ...roomSearchTables,
      ...roomRedactionTables,
      ...roomReportTables,
      ...syncTables,
      ...federationTables,
      ...keysTables,
      ...mediaTables,
    },
  },
  // 8: refresh_tokens, login_tokens, server_settings (accounts/tables.ts).
  {
    version: 8,
    tables: {
      ...streamTables,
      ...accountTables,
      ...accountOpenIdTables,
      ...accountTokenTables,
      ...roomTables,
      ...roomSearchTables,
      ...roomRedactionTables,
      ...roomReportTables,
      ...syncTables,
      ...federationTables,
      ...keysTables,
      ...mediaTables,
    },
  },
  // 9: the search index's rows smaller (rooms/tables.ts): room_search gives way to
  // room_search_rooms and room_search_terms, which start empty (an upgrade changes tables,
  // not rows); the events stored before are indexed after start (rooms/search-reindex.ts).
  {
    version: 9,
    tables: {
      ...streamTables,
      ...accountTables,
      ...accountOpenIdTables,
      ...accountTokenTables,
      ...roomTables,
      ...roomSearchTermTables,
      ...roomRedactionTables,
      ...roomReportTables,
      ...syncTables,
      ...federationTables,
      ...keysTables,
      ...mediaTables,
    },
  },
  // 10: ids referenced before they were placed (rooms/tables.ts `room_referenced`), so
  // placing events from peers asks the edges and thread replies only of those; the
  // table starts empty, and rooms held before keep asking of every event.
  {
    version: 10,
    tables: {
      ...streamTables,
      ...accountTables,
      ...accountOpenIdTables,
      ...accountTokenTables,
      ...roomTables,
      ...roomSearchTermTables,
      ...roomRedactionTables,
      ...roomReportTables,
      ...roomReferencedTables,
      ...syncTables,
      ...federationTables,
      ...keysTables,
      ...mediaTables,
    },
  },
  // 11: the search index inside the event rows (rooms/tables.ts): the events table's
  // multiEntry index `search` over each timeline event's entries, one put per event where
  // room_search_terms, dropped, took one per term; the events stored before get their
  // entries after start (rooms/search-reindex.ts).
  { version: 11, tables: VERSION_11_TABLES },
  // 12: a room's forward extremities in one row, `room_extremity_sets` (rooms/extremities.ts),
  // so a write of a linear chain puts one row where it deleted and put one; the rows of
  // `room_extremities` written before are read until the room's first write, which drops them.
  {
    version: 12,
    tables: { ...VERSION_11_TABLES, ...roomExtremitySetTables },
  },
];
