// The one conformance suite every implementation of the storage port passes
// (STYLE.md §11): run it from each implementation's test file.

import { describe } from 'node:test';
import type { StoreFactory } from '../../../src/core/storage/port.ts';
import { harness } from './conformance/fixtures.ts';
import { multiEntryTests } from './conformance/multi-entry.ts';
import { queryTests } from './conformance/queries.ts';
import { rowTests } from './conformance/rows.ts';
import { schemaTests } from './conformance/schema.ts';
import { transactionTests } from './conformance/transactions.ts';

export interface ConformanceOptions {
  /**
   * Whether closing a store and opening the same name again finds its data.
   * False for stores that vanish on close (SQLite ':memory:'); the reopening
   * and upgrade tests are then left out.
   */
  readonly durable?: boolean;
}

export function runStoreConformance(
  name: string,
  factory: StoreFactory,
  options: ConformanceOptions = {},
): void {
  describe(`storage port conformance: ${name}`, () => {
    const h = harness(factory, options.durable ?? true);
    rowTests(h);
    queryTests(h);
    multiEntryTests(h);
    transactionTests(h);
    schemaTests(h);
  });
}
