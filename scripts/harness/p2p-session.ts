// Peer-to-peer helpers for end-to-end tests with several browsers: give a
// browser's node a relay (the same handler the popup's "Add relay" reaches),
// read its libp2p connections (a debug request to the offscreen document),
// and wait for a direct WebRTC connection to another server.
import type { ConnectionInfo } from '../../src/platform/web/node-wire.ts';
import type { NetworkState } from '../../src/platform/web/popup-messages.ts';
import type { Page } from 'playwright-core';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import { callClient, openClientPage } from './client-page/driver.ts';
import type { ExtensionBrowser } from './extension-browser.ts';
import { approveOrigin, launchWithLoopbackAccess } from './extension-session.ts';

interface Background {
  p2pMatrix: {
    ready: Promise<{ serverName: string }>;
    handlers: { addPeer(params: { multiaddr: string; asRelay: boolean }, sender: object): Promise<unknown> };
    network: {
      connections(): Promise<ConnectionInfo[]>;
      view: { snapshot(): Promise<NetworkState>; dial(multiaddr: string): Promise<void> };
    };
  };
}

/** Has the browser's node dial `multiaddr` (the network view's dial, as the popup's); resolves once connected. */
export function dialPeer(browser: ExtensionBrowser, multiaddr: string): Promise<void> {
  return browser.worker.evaluate(
    (addr) => (globalThis as unknown as Background).p2pMatrix.network.view.dial(addr),
    multiaddr,
  );
}

/** Adds `relay` to the browser's network settings, as the popup's "Add relay" does; returns its server name. */
export function useRelay(browser: ExtensionBrowser, relay: string): Promise<string> {
  return browser.worker.evaluate(async (addr) => {
    const { p2pMatrix } = globalThis as unknown as Background;
    const { serverName } = await p2pMatrix.ready;
    await p2pMatrix.handlers.addPeer({ multiaddr: addr, asRelay: true }, {});
    return serverName;
  }, relay);
}

/** The libp2p connections of the browser's node, as the node reports them. */
export function nodeConnections(browser: ExtensionBrowser): Promise<ConnectionInfo[]> {
  return browser.worker.evaluate(() => (globalThis as unknown as Background).p2pMatrix.network.connections());
}

/** What the popup would show about the node. */
export function networkSnapshot(browser: ExtensionBrowser): Promise<NetworkState> {
  return browser.worker.evaluate(() =>
    (globalThis as unknown as Background).p2pMatrix.network.view.snapshot(),
  );
}

/** Whether a connection is a direct WebRTC data-channel connection (not through a relay). */
export function isDirectWebRTC(conn: ConnectionInfo): boolean {
  return (
    conn.status === 'open' && conn.direct && conn.multiplexer === '/webrtc' && !conn.limited && conn.usable
  );
}

/** Waits (hang guard: 60 s unless given) until the browser's node has a direct WebRTC connection to `serverName`. */
export async function waitForDirectWebRTC(
  browser: ExtensionBrowser,
  serverName: string,
  hangGuardMs = 60_000,
): Promise<ConnectionInfo> {
  const deadline = Date.now() + hangGuardMs;
  for (;;) {
    const found = (await nodeConnections(browser)).find(
      (c) => c.serverName === serverName && isDirectWebRTC(c),
    );
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`hang guard: no direct WebRTC connection to ${serverName}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A browser on the network: its own homeserver's name, a client page on `site`, and a registered user. */
export interface RegisteredPeer {
  readonly browser: ExtensionBrowser;
  readonly serverName: string;
  readonly page: Page;
  readonly creds: Awaited<ReturnType<typeof registerIn>>;
}

function registerIn(page: Page, name: string) {
  return callClient(page, 'register', HOMESERVER_ORIGIN, name);
}

/**
 * Launches Chromium with the extension, approves `site`, adds `relay`, opens
 * the client page and registers `name`; `launched` is told of the browser
 * first, so that the caller closes it even if a later step fails.
 */
export async function openRegisteredPeer(
  site: { readonly origin: string },
  relay: string,
  name: string,
  launched: (browser: ExtensionBrowser) => void,
): Promise<RegisteredPeer> {
  const browser = await launchWithLoopbackAccess();
  launched(browser);
  await approveOrigin(browser, site.origin);
  const serverName = await useRelay(browser, relay);
  const page = await openClientPage(browser.context, site.origin);
  return { browser, serverName, page, creds: await registerIn(page, name) };
}
