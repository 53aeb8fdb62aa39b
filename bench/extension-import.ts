// The search bench's fast load into the extension (bench/worker-import.ts
// says what it does and skips): the corpus signed here, a room's next
// IMPORT_BATCH messages at a time, handed to the import bundled into the
// extension's service worker, one write transaction a batch.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'playwright-core';
import { eventIdFor, type JsonObject } from '../src/core/protocol.ts';
import { browserSwapPlugin } from '../scripts/browser-swap-plugin.ts';
import { type Feed, signBatch } from './search-corpus.ts';

/** Messages of one room placed in one transaction (a backfilled page is 100; a bigger batch is fewer round trips from Node). */
const IMPORT_BATCH = 500;

interface WorkerImport {
  importMessages(events: readonly JsonObject[]): Promise<number>;
  closeImport(): Promise<void>;
}

/** bench/worker-import.ts as one script for the service worker. */
async function importScript(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./worker-import.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome137',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
    plugins: [browserSwapPlugin('chrome')],
  });
  return result.outputFiles[0]!.text;
}

/**
 * Imports `count` corpus messages (a multiple of IMPORT_BATCH), the rooms in
 * turn, or fewer when `budgetMs` (signing included) ran out first; returns
 * how many were placed and the messages per second, signing included.
 * The caller stops the worker afterwards (see worker-import.ts).
 */
export async function importCorpus(
  worker: Worker,
  feed: Pick<Feed, 'chains' | 'corpus'>,
  count: number,
  {
    progress,
    budgetMs = Number.POSITIVE_INFINITY,
  }: { progress?: (placed: number) => void; budgetMs?: number } = {},
): Promise<{ sent: number; perSecond: number }> {
  await worker.evaluate(await importScript());
  const t0 = performance.now();
  let sent = 0;
  while (sent < count && performance.now() - t0 < budgetMs) {
    const room = sent / IMPORT_BATCH;
    const chain = feed.chains[room % feed.chains.length]!;
    const pdus = await signBatch(feed, room, undefined, IMPORT_BATCH);
    const events = await Promise.all(
      pdus.map(async (pdu) => ({ ...pdu, event_id: await eventIdFor(pdu, chain.version) })),
    );
    const placed = await worker.evaluate(
      (batch) =>
        (globalThis as unknown as { p2pmBenchImport: WorkerImport }).p2pmBenchImport.importMessages(batch),
      events,
    );
    if (placed !== events.length) throw new Error(`import: ${placed} of ${events.length} messages placed`);
    sent += placed;
    if (progress && sent % 10_000 === 0) progress(sent);
  }
  await worker.evaluate(() =>
    (globalThis as unknown as { p2pmBenchImport: WorkerImport }).p2pmBenchImport.closeImport(),
  );
  return { sent, perSecond: (sent / (performance.now() - t0)) * 1000 };
}
