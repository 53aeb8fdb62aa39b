// The setup most end-to-end tests share: Chromium with the extension, the
// client page served on 127.0.0.1, and that page's origin approved.
import type { HandlerMap } from '../../src/platform/web/messages.ts';
import { clientPageFiles } from '../e2e/client-page/bundle.ts';
import { type ExtensionBrowser, launchExtensionBrowser, type LaunchOptions } from './extension-browser.ts';
import { type StaticSite, startStaticSite } from './static-site.ts';

/** The host permission tests hold: every port of 127.0.0.1 (each approval is still one origin). */
export const LOOPBACK_HOSTS = ['http://127.0.0.1/*'];

/** Serves the client page on a new port of 127.0.0.1. */
export async function startClientSite(): Promise<StaticSite> {
  return startStaticSite(await clientPageFiles());
}

/** Launches Chromium with the extension and the loopback host permission granted. */
export function launchWithLoopbackAccess(options: LaunchOptions = {}): Promise<ExtensionBrowser> {
  return launchExtensionBrowser({ ...options, grantHosts: LOOPBACK_HOSTS });
}

type Background = { p2pMatrix: { handlers: HandlerMap; stats: Record<string, number> } };

/** Approves `origin` with the same handler the popup's approveOrigin message reaches. */
export async function approveOrigin(browser: ExtensionBrowser, origin: string): Promise<readonly string[]> {
  return browser.worker.evaluate(
    async (o) =>
      (await (globalThis as unknown as Background).p2pMatrix.handlers.approveOrigin({ origin: o }, {}))
        .origins,
    origin,
  );
}

/** Revokes `origin` with the same handler the popup's revokeOrigin message reaches. */
export async function revokeOrigin(browser: ExtensionBrowser, origin: string): Promise<readonly string[]> {
  return browser.worker.evaluate(
    async (o) =>
      (await (globalThis as unknown as Background).p2pMatrix.handlers.revokeOrigin({ origin: o }, {}))
        .origins,
    origin,
  );
}

/** What reached this worker instance from content scripts (client-stats.ts). */
export function backgroundStats(browser: ExtensionBrowser): Promise<Record<string, number>> {
  return browser.worker.evaluate(() => ({ ...(globalThis as unknown as Background).p2pMatrix.stats }));
}
