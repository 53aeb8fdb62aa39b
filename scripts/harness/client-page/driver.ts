// Drives the client page (client.ts) from a test: opens it in a browser
// context and calls its API inside the page.
import type { BrowserContext, Page } from 'playwright-core';
import type { ClientPageApi } from './client.ts';

type Method = keyof ClientPageApi;

/** Opens the client page of `origin` in a new tab. */
export async function openClientPage(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  return page;
}

/**
 * Opens the client page once the extension's registered content scripts
 * inject into it. Right after Chromium starts on an existing profile, the
 * first page can load before the persisted registrations are in force: it
 * gets no shim, every request to the homeserver fails, and matrix-js-sdk
 * retries forever (the browser-relaunch test's rare hang, reproduced with a
 * probe: `fetch` native, "Failed to fetch", 6 of 6 times on that page). A
 * user would reload; so does this (hang guard: 60 s).
 */
export async function openShimmedClientPage(context: BrowserContext, origin: string): Promise<Page> {
  const page = await openClientPage(context, origin);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const shimmed = await page.evaluate(() => !globalThis.fetch.toString().includes('[native code]'));
    if (shimmed) return page;
    if (Date.now() > deadline) throw new Error('hang guard: the extension never shimmed the client page');
    await page.reload();
  }
}

/** Runs a function with one argument in the page (Playwright's and Puppeteer's page.evaluate both fit). */
export type PageEvaluate = (
  fn: (arg: [string, unknown[]]) => unknown,
  arg: [string, unknown[]],
) => Promise<unknown>;

/** Calls p2pmClient[method](...args) in the page and returns its result. */
export function callClient<M extends Method>(
  page: Page,
  method: M,
  ...args: Parameters<ClientPageApi[M]>
): Promise<Awaited<ReturnType<ClientPageApi[M]>>> {
  return callClientWith((fn, arg) => page.evaluate(fn, arg), method, ...args);
}

/** callClient for a page driven by another library (Firefox through Puppeteer). */
export function callClientWith<M extends Method>(
  evaluate: PageEvaluate,
  method: M,
  ...args: Parameters<ClientPageApi[M]>
): Promise<Awaited<ReturnType<ClientPageApi[M]>>> {
  return evaluate(
    ([name, params]) => {
      const api = (globalThis as unknown as { p2pmClient: Record<string, (...a: unknown[]) => unknown> })
        .p2pmClient;
      return api[name]!(...params);
    },
    [method, args],
  ) as Promise<Awaited<ReturnType<ClientPageApi[M]>>>;
}
