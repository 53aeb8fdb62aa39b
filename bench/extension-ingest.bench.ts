// PDUs received in the extension (issue 13): a Node peer (in this process)
// holds a room that bob, in Chromium with the built extension, joins; the
// Node peer then sends messages signed by its user into the room, in
// transactions of 50 one after the other, as one sending server does, to
// bob's homeserver in the service worker, which checks them fully and stores
// them in IndexedDB. The two meet through a relay, but the requests go over
// the websocket connection the browser's node dials to the Node peer's
// loopback listener (the transport prefers a connection the relay does not
// limit). Figure: PDUs per second from the first transaction sent until the
// last one is answered, every PDU accepted; printed with the worker's spans,
// the course of its placing writes (when their requests went out and were
// answered, the hold, the commit: p50) and each step of a request outside
// the worker's handler (median).
// `--quick`: 500 PDUs (else 5,000). Prints "skipped" without Chromium or a
// build. P2PM_CPU_PROFILE=<dir>: CPU profiles of the worker, the offscreen
// document and this process (the sender) while sending.
// Run alone: `node bench/run.ts extension-ingest` (after `npm run build`).
import { bobJoins, withNodeAndExtension } from './node-and-extension.ts';
import {
  describeExchanges,
  describeTimelines,
  type Exchange,
  spanTotals,
  startTrace,
  takeTrace,
} from './delivery-trace.ts';
import { wallClock } from '../src/platform/trace.ts';
import { cpuProfile, signedChain } from './federation.bench.ts';
import { TRANSACTION_PDUS } from './signed-chain.ts';
import { measured, quick } from './table.ts';
import { workerCpuProfile } from './worker-profile.ts';

const PDUS = quick ? 500 : 5_000;
const V3 = '/_matrix/client/v3';

export default async function extensionIngestBench(): Promise<Record<string, number> | undefined> {
  return withNodeAndExtension(
    'ingest',
    undefined,
    async (node) => {
      const alice = await node.register('alice');
      const created = await node.request(
        'POST',
        `${V3}/createRoom`,
        { preset: 'public_chat' },
        alice.accessToken,
      );
      return { alice, roomId: created.body.room_id as string };
    },
    async (setup, { alice, roomId }) => {
      const { node, browser, serverName } = setup;
      await bobJoins(setup, roomId, alice);
      // The Node peer's copy is the browser's once bob's join is placed on both.
      const batches = await signedChain(node, alice, roomId, node, PDUS);
      await startTrace(browser.worker);
      const profiled = await workerCpuProfile(browser);
      const offscreenProfiled = await workerCpuProfile(browser, 'offscreen');
      const nodeProfiled = await cpuProfile();
      const exchanges: Exchange[] = [];
      const t0 = performance.now();
      for (const [i, pdus] of batches.entries()) {
        const path = `/_matrix/federation/v1/send/ingest.${i}`;
        const sent = wallClock();
        const res = await node.transport.request(serverName, {
          method: 'PUT',
          path,
          origin: node.serverName,
          body: { origin: node.serverName, origin_server_ts: Date.now(), pdus },
        });
        exchanges.push({ method: 'PUT', path, sent, answered: wallClock() });
        const results = Object.values((res.body as { pdus?: Record<string, { error?: string }> }).pdus ?? {});
        const failed = results.find((r) => r.error !== undefined);
        if (res.status !== 200 || results.length !== pdus.length || failed)
          throw new Error(
            `ingest transaction ${i}: ${res.status} ${failed?.error ?? JSON.stringify(res.body)}`,
          );
      }
      const elapsed = performance.now() - t0;
      await profiled('extension-ingest');
      await offscreenProfiled('extension-ingest-offscreen');
      await nodeProfiled('extension-ingest-node');
      const perSecond = (PDUS / elapsed) * 1000;
      // Where the worker's time went: its spans (storage transactions, federation requests) by name.
      const spans = await takeTrace(browser.worker);
      for (const line of spanTotals(spans, elapsed)) console.log(line);
      // The placing writes (a transaction's 50 events), as describeExchanges splits the whole request.
      const placing = spans.filter(
        (s) => s.name === 'w rooms' && (s.requests?.length ?? 0) >= TRANSACTION_PDUS,
      );
      console.log(`  the placing writes: ${describeTimelines(placing)}`);
      for (const line of describeExchanges(exchanges, spans)) console.log(line);
      measured('ext.ingest', perSecond);
      return { [`PDUs/s received by the extension in Chromium (${PDUS}, transactions of 50)`]: perSecond };
    },
  );
}

if (import.meta.main) console.log(await extensionIngestBench());
