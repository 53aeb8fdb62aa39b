// PDUs received in the extension (issue 13): a Node peer (in this process,
// libp2p websockets through a relay) holds a room that bob, in Chromium with
// the built extension, joins; the Node peer then sends messages signed by
// its user into the room, in transactions of 50 one after the other, as one
// sending server does, to bob's homeserver in the service worker, which
// checks them fully and stores them in IndexedDB. Figure: PDUs per second
// from the first transaction sent until the last one is answered, every PDU
// accepted. `--quick`: 500 PDUs (else 5,000). Prints "skipped" without
// Chromium or a build.
// Run alone: `node bench/run.ts extension-ingest` (after `npm run build`).
import { callClient, openClientPage } from '../scripts/harness/client-page/driver.ts';
import { type ExtensionBrowser, removeProfile } from '../scripts/harness/extension-browser.ts';
import {
  approveOrigin,
  launchWithLoopbackAccess,
  startClientSite,
} from '../scripts/harness/extension-session.ts';
import { useRelay } from '../scripts/harness/p2p-session.ts';
import type { PeerTransport } from '../src/core/federation/transport.ts';
import { createLibp2pTransport } from '../src/node/p2p/create-libp2p-transport.ts';
import { startRelay } from '../src/node/relay.ts';
import { HOMESERVER_ORIGIN } from '../src/platform/web/homeserver-url.ts';
import {
  type RunningNode,
  eventually,
  seedFor,
  startFederatedNode,
} from '../test/support/federated-cluster.ts';
import { spanTotals, startTrace, takeTrace } from './delivery-trace.ts';
import { signedChain } from './federation.bench.ts';
import { extensionMissing } from './extension-missing.ts';
import { measured, quick } from './table.ts';

const PDUS = quick ? 500 : 5_000;
const V3 = '/_matrix/client/v3';

export default async function extensionIngestBench(): Promise<Record<string, number> | undefined> {
  const missing = extensionMissing();
  if (missing) {
    console.log(missing);
    return undefined;
  }
  const relay = await startRelay();
  const site = await startClientSite();
  let transport: PeerTransport | undefined;
  let node: RunningNode | undefined;
  let browser: ExtensionBrowser | undefined;
  try {
    transport = await createLibp2pTransport({ seed: seedFor('ingest'), relays: relay.multiaddrs });
    node = await startFederatedNode({ label: 'ingest', transport });
    const alice = await node.register('alice');
    const roomId = (
      await node.request('POST', `${V3}/createRoom`, { preset: 'public_chat' }, alice.accessToken)
    ).body.room_id;

    browser = await launchWithLoopbackAccess();
    await approveOrigin(browser, site.origin);
    const serverName = await useRelay(browser, relay.multiaddrs[0]!);
    const page = await openClientPage(browser.context, site.origin);
    const creds = await callClient(page, 'register', HOMESERVER_ORIGIN, 'bob');
    await callClient(page, 'start', 'bob', HOMESERVER_ORIGIN, creds);
    const peer = node;
    await eventually(
      async () => peer.transport.peers().includes(serverName),
      'the Node peer sees the browser',
      60_000,
    );
    await callClient(page, 'join', 'bob', roomId, [node.serverName]);
    await eventually(
      async () => {
        const res = await peer.request(
          'GET',
          `${V3}/rooms/${encodeURIComponent(roomId)}/joined_members`,
          undefined,
          alice.accessToken,
        );
        return Object.keys(res.body.joined ?? {}).length === 2;
      },
      'bob joined',
      60_000,
    );

    // The Node peer's copy is the browser's once bob's join is placed on both.
    const batches = await signedChain(node, alice, roomId, node, PDUS);
    await startTrace(browser.worker);
    const t0 = performance.now();
    for (const [i, pdus] of batches.entries()) {
      const res = await node.transport.request(serverName, {
        method: 'PUT',
        path: `/_matrix/federation/v1/send/ingest.${i}`,
        origin: node.serverName,
        body: { origin: node.serverName, origin_server_ts: Date.now(), pdus },
      });
      const results = Object.values((res.body as { pdus?: Record<string, { error?: string }> }).pdus ?? {});
      const failed = results.find((r) => r.error !== undefined);
      if (res.status !== 200 || results.length !== pdus.length || failed)
        throw new Error(
          `ingest transaction ${i}: ${res.status} ${failed?.error ?? JSON.stringify(res.body)}`,
        );
    }
    const elapsed = performance.now() - t0;
    const perSecond = (PDUS / elapsed) * 1000;
    // Where the worker's time went: its spans (storage transactions, federation requests) by name.
    for (const line of spanTotals(await takeTrace(browser.worker), elapsed)) console.log(line);
    measured('ext.ingest', perSecond);
    return { [`PDUs/s received by the extension in Chromium (${PDUS}, transactions of 50)`]: perSecond };
  } finally {
    if (browser) {
      await browser.close();
      removeProfile(browser.profileDir);
    }
    if (node) {
      await node.stop();
      await node.store.close();
    } else await transport?.close();
    await site.close();
    await relay.stop();
  }
}

if (import.meta.main) console.log(await extensionIngestBench());
