// The setup most end-to-end tests share: Chromium with the extension, the
// client page served on 127.0.0.1, and that page's origin approved.
import type { Page } from 'playwright-core';
import type { HandlerMap } from '../../src/platform/web/messages.ts';
import { clientPageFiles } from './client-page/bundle.ts';
import { openClientPage } from './client-page/driver.ts';
import {
  type ExtensionBrowser,
  launchExtensionBrowser,
  type LaunchOptions,
  removeProfile,
} from './extension-browser.ts';
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

export interface ApprovedClient {
  readonly browser: ExtensionBrowser;
  readonly site: StaticSite;
  readonly page: Page;
  /** Closes the browser and the site and removes the profile. */
  close(): Promise<void>;
}

/** The client page served, its origin approved, and open in Chromium with the extension. */
export async function openApprovedClient(): Promise<ApprovedClient> {
  const site = await startClientSite();
  let browser: ExtensionBrowser | undefined;
  const close = async () => {
    await browser?.close();
    await site.close();
    if (browser) removeProfile(browser.profileDir);
  };
  try {
    browser = await launchWithLoopbackAccess();
    await approveOrigin(browser, site.origin);
    const page = await openClientPage(browser.context, site.origin);
    return { browser, site, page, close };
  } catch (err) {
    await close();
    throw err;
  }
}

type Background = { p2pMatrix: { handlers: HandlerMap; stats: Record<string, number> } };

/**
 * Approves `origin` with the same handler the popup's approveOrigin message
 * reaches and, unless `accountCreation` is false, ticks its "can create
 * accounts" box too (setAccountCreation), as a user setting up a client site
 * whose pages register would.
 */
export async function approveOrigin(
  browser: ExtensionBrowser,
  origin: string,
  { accountCreation = true }: { accountCreation?: boolean } = {},
): Promise<readonly string[]> {
  const origins = await originHandler(browser, 'approveOrigin', origin);
  if (accountCreation) await setAccountCreation(browser, origin, true);
  return origins;
}

/** Allows or stops account creation from `origin` with the handler the popup's box reaches. */
export function setAccountCreation(
  browser: ExtensionBrowser,
  origin: string,
  allowed: boolean,
): Promise<readonly string[]> {
  return browser.worker.evaluate(
    async ([o, a]) =>
      (
        await (globalThis as unknown as Background).p2pMatrix.handlers.setAccountCreation(
          { origin: o, allowed: a },
          {},
        )
      ).accountCreation,
    [origin, allowed] as const,
  );
}

/**
 * Resolves once the background holds `origin` as allowed (or not) to create
 * accounts, as the popup's box asked: waits on storage changes, not time.
 */
export function untilAccountCreation(
  browser: ExtensionBrowser,
  origin: string,
  allowed: boolean,
): Promise<void> {
  return browser.worker.evaluate(
    async ([o, a]) => {
      type Events = { addListener(l: () => void): void; removeListener(l: () => void): void };
      const g = globalThis as unknown as Background & { chrome: { storage: { onChanged: Events } } };
      for (;;) {
        let listener = () => {};
        const changed = new Promise<void>((resolve) => {
          listener = resolve;
          g.chrome.storage.onChanged.addListener(listener);
        });
        const status = await g.p2pMatrix.handlers.status({}, {});
        const done = status.accountCreationOrigins.includes(o) === a;
        if (!done) await changed;
        g.chrome.storage.onChanged.removeListener(listener);
        if (done) return;
      }
    },
    [origin, allowed] as const,
  );
}

/** Revokes `origin` with the same handler the popup's revokeOrigin message reaches. */
export function revokeOrigin(browser: ExtensionBrowser, origin: string): Promise<readonly string[]> {
  return originHandler(browser, 'revokeOrigin', origin);
}

function originHandler(
  browser: ExtensionBrowser,
  type: 'approveOrigin' | 'revokeOrigin',
  origin: string,
): Promise<readonly string[]> {
  return browser.worker.evaluate(
    async ([t, o]) =>
      (await (globalThis as unknown as Background).p2pMatrix.handlers[t]({ origin: o }, {})).origins,
    [type, origin] as const,
  );
}

/** What reached this worker instance from content scripts (client-stats.ts). */
export function backgroundStats(browser: ExtensionBrowser): Promise<Record<string, number>> {
  return browser.worker.evaluate(() => ({ ...(globalThis as unknown as Background).p2pMatrix.stats }));
}
