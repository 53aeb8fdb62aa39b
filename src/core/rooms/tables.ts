// Tables owned by the rooms module (see storage/schema.ts).
import type { TableSpec } from '../storage/port.ts';

export const roomTables: Record<string, TableSpec> = {};
