// Tables owned by the sync module (see storage/schema.ts).
import type { TableSpec } from '../storage/port.ts';

export const syncTables: Record<string, TableSpec> = {};
