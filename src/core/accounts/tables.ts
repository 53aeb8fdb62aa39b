// Tables owned by the accounts module (see storage/schema.ts).
import type { TableSpec } from '../storage/port.ts';

export const accountTables: Record<string, TableSpec> = {};
