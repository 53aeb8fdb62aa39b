// The set-up of the benches that feed the extension from a Node peer
// (extension-ingest, search-extension, big-room-extension): a relay on
// loopback, a Node peer in this process (libp2p websockets: the two meet
// through the relay, and the browser's node then dials the Node peer's
// listener, the connection requests take), and bob, registered and syncing in a page of an approved site, on
// the homeserver of Chromium with the built extension; the two peers see
// each other before the bench runs. Everything is stopped afterwards,
// whatever the bench threw.
import type { Page } from 'playwright-core';
import type { Credentials } from '../scripts/harness/client-page/client.ts';
import { callClient, openClientPage } from '../scripts/harness/client-page/driver.ts';
import { type ExtensionBrowser, removeProfile } from '../scripts/harness/extension-browser.ts';
import {
  approveOrigin,
  launchWithLoopbackAccess,
  startClientSite,
} from '../scripts/harness/extension-session.ts';
import { useRelay } from '../scripts/harness/p2p-session.ts';
import type { PeerTransport } from '../src/core/federation/transport.ts';
import type { Store } from '../src/core/storage/port.ts';
import { createLibp2pTransport } from '../src/node/p2p/create-libp2p-transport.ts';
import { startRelay } from '../src/node/relay.ts';
import { HOMESERVER_ORIGIN } from '../src/platform/web/homeserver-url.ts';
import {
  eventually,
  type RunningNode,
  seedFor,
  startFederatedNode,
} from '../test/support/federated-cluster.ts';
import { extensionMissing } from './extension-missing.ts';

export interface NodeAndExtension {
  readonly node: RunningNode;
  readonly browser: ExtensionBrowser;
  /** bob's page: matrix-js-sdk on the extension's homeserver (`callClient(page, …, 'bob', …)`). */
  readonly page: Page;
  readonly bob: Credentials;
  /** The extension's homeserver. */
  readonly serverName: string;
}

const V3 = '/_matrix/client/v3';

/**
 * Runs `bench` with a Node peer named `label` (over `store` when given,
 * which it then closes) and the extension; `prepare` runs on the Node peer
 * before the browser starts (rooms to make). Undefined, with the "skipped"
 * line printed, where Chromium or the build is missing.
 */
export async function withNodeAndExtension<P, T>(
  label: string,
  store: Store | undefined,
  prepare: (node: RunningNode) => Promise<P>,
  bench: (setup: NodeAndExtension, prepared: P) => Promise<T>,
): Promise<T | undefined> {
  const missing = extensionMissing();
  if (missing) {
    console.log(missing);
    await store?.close();
    return undefined;
  }
  const relay = await startRelay();
  const site = await startClientSite();
  let transport: PeerTransport | undefined;
  let node: RunningNode | undefined;
  let browser: ExtensionBrowser | undefined;
  try {
    transport = await createLibp2pTransport({ seed: seedFor(label), relays: relay.multiaddrs });
    node = await startFederatedNode({ label, transport, ...(store && { store }) });
    const peer = node;
    const prepared = await prepare(peer);

    browser = await launchWithLoopbackAccess();
    await approveOrigin(browser, site.origin);
    const serverName = await useRelay(browser, relay.multiaddrs[0]!);
    const page = await openClientPage(browser.context, site.origin);
    const bob = await callClient(page, 'register', HOMESERVER_ORIGIN, 'bob');
    await callClient(page, 'start', 'bob', HOMESERVER_ORIGIN, bob);
    await eventually(
      async () => peer.transport.peers().includes(serverName),
      'the Node peer sees the browser',
      60_000,
    );
    return await bench({ node: peer, browser, page, bob, serverName }, prepared);
  } finally {
    if (browser) {
      await browser.close();
      removeProfile(browser.profileDir);
    }
    if (node) {
      await node.stop();
      await node.store.close();
    } else {
      await transport?.close();
      await store?.close();
    }
    await site.close();
    await relay.stop();
  }
}

/** bob joins `roomId` (public, on the Node peer) and the Node peer sees him joined: two members, `asker` one of them. */
export async function bobJoins(
  { node, page }: NodeAndExtension,
  roomId: string,
  asker: { readonly accessToken: string },
): Promise<void> {
  await callClient(page, 'join', 'bob', roomId, [node.serverName]);
  await eventually(
    async () => {
      const path = `${V3}/rooms/${encodeURIComponent(roomId)}/joined_members`;
      const res = await node.request('GET', path, undefined, asker.accessToken);
      return Object.keys(res.body.joined ?? {}).length === 2;
    },
    'bob joined',
    60_000,
  );
}
