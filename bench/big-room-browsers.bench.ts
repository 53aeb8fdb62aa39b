// Joining a big room held by another browser (issue 13, goal ≤ 6 s): the room
// of big-room.bench.ts (1,000 members, 10,000 events with state churn, made
// by `bigRoom` on a Node peer; P2PM_BIG_ROOM_DB reuses a made one) is first
// joined by bob, in Chromium with the built extension, who shows its first
// page of history; then the Node peer leaves the network, so that bob's
// browser is the only peer holding the room (its whole state and auth
// chain, and the history bob has shown), and carol, in a second Chromium
// with the extension, joins through bob's homeserver. The figure is the time
// from carol's join call until her client's /messages shows the first page
// of history (20 messages from before her join, beside bob's join): browser
// ↔ browser over the relay, then WebRTC. Making the room in a browser
// through the client API would take far longer than a bench may; a browser
// that joined it holds what a joiner needs. `--quick`: 200 members, 2,000
// events. Prints "skipped" without Chromium or a build.
// Run alone: `node bench/run.ts big-room-browsers` (after `npm run build`;
// it takes the browsers' lock itself).
import { callClient } from '../scripts/harness/client-page/driver.ts';
import { type ExtensionBrowser, removeProfile } from '../scripts/harness/extension-browser.ts';
import { startClientSite } from '../scripts/harness/extension-session.ts';
import { openRegisteredPeer } from '../scripts/harness/p2p-session.ts';
import type { PeerTransport } from '../src/core/federation/transport.ts';
import { createLibp2pTransport } from '../src/node/p2p/create-libp2p-transport.ts';
import { startRelay } from '../src/node/relay.ts';
import { HOMESERVER_ORIGIN } from '../src/platform/web/homeserver-url.ts';
import {
  eventually,
  type RunningNode,
  seedFor,
  startFederatedNode,
} from '../test/support/federated-cluster.ts';
import { HOLDER, MEMBERS, makeRoom, savedRoom } from './big-room.bench.ts';
import { spanTotals, startTrace, takeTrace } from './delivery-trace.ts';
import { extensionMissing } from './extension-missing.ts';
import { measured } from './table.ts';

/** A joiner that shows no history for this long has missed any goal: the figure says so. */
const GIVE_UP_MS = 120_000;

/** ms from `name`'s join call until a page of `pageSize` shows 20 messages (or GIVE_UP_MS). */
export async function joinToFirstPage(
  peer: { page: Parameters<typeof callClient>[0] },
  name: string,
  roomId: string,
  via: string,
  pageSize: number,
): Promise<{ joinMs: number; firstPageMs: number }> {
  const t0 = performance.now();
  await callClient(peer.page, 'join', name, roomId, [via]);
  const joinMs = performance.now() - t0;
  while ((await callClient(peer.page, 'newestPageMessages', name, roomId, pageSize)) < 20) {
    if (performance.now() - t0 > GIVE_UP_MS) break;
  }
  return { joinMs, firstPageMs: performance.now() - t0 };
}

export default async function bigRoomBrowsersBench(): Promise<Record<string, number> | undefined> {
  const missing = extensionMissing();
  if (missing) {
    console.log(missing);
    return undefined;
  }
  const saved = await savedRoom();
  const relay = await startRelay();
  const site = await startClientSite();
  const browsers: ExtensionBrowser[] = [];
  let node: RunningNode | undefined;
  /** The saved store until the Node peer owns it. */
  let unowned = saved?.store;
  let transport: PeerTransport | undefined;
  try {
    transport = await createLibp2pTransport({ seed: seedFor(HOLDER), relays: relay.multiaddrs });
    node = await startFederatedNode({ label: HOLDER, transport, ...(saved && { store: saved.store }) });
    unowned = undefined;
    const holder = node;
    const room = saved?.room ?? (await makeRoom(holder));
    const open = async (name: string) => {
      const peer = await openRegisteredPeer(site, relay.multiaddrs[0]!, name, (b) => browsers.push(b));
      await callClient(peer.page, 'start', name, HOMESERVER_ORIGIN, peer.creds);
      return peer;
    };

    // bob's browser comes to hold the room: its state, auth chain and first page.
    const bob = await open('bob');
    await eventually(
      async () => holder.transport.peers().includes(bob.serverName),
      'the Node peer sees bob',
      60_000,
    );
    const first = await joinToFirstPage(bob, 'bob', room.roomId, holder.serverName, 21);
    console.log(
      `bob's browser joined from the Node peer: join ${first.joinMs.toFixed(0)} ms, first page ${first.firstPageMs.toFixed(0)} ms`,
    );
    node = undefined;
    await holder.stop();
    await holder.store.close();

    // carol joins through bob's homeserver, the only peer left holding the room.
    const carol = await open('carol');
    await startTrace(carol.browser.worker);
    await startTrace(bob.browser.worker);
    // Her first page: her join, bob's, and the 20 messages before them.
    const joined = await joinToFirstPage(carol, 'carol', room.roomId, bob.serverName, 22);
    for (const line of spanTotals(await takeTrace(carol.browser.worker), joined.firstPageMs))
      console.log(`carol ${line}`);
    for (const line of spanTotals(await takeTrace(bob.browser.worker), joined.firstPageMs, 5))
      console.log(`bob ${line}`);
    measured('join.big.browser', joined.firstPageMs);
    return {
      [`join of a ${MEMBERS}-member, ${room.events}-event room held by a browser, from a browser (ms)`]:
        joined.joinMs,
      'join → first page of history shown, browser ↔ browser (ms)': joined.firstPageMs,
    };
  } finally {
    for (const browser of browsers) {
      await browser.close();
      removeProfile(browser.profileDir);
    }
    if (node) {
      await node.stop();
      await node.store.close();
    } else if (unowned) {
      await transport?.close();
      await unowned.close();
    }
    await site.close();
    await relay.stop();
    saved?.remove();
  }
}

if (import.meta.main) console.log(await bigRoomBrowsersBench());
