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

/** Whether the page's `fetch` is the extension's shim (the native one prints "[native code]"). */
export const hasShim = () => !globalThis.fetch.toString().includes('[native code]');

/**
 * Loads a page until the extension's registered content scripts inject into
 * it (hang guard: 60 s). Right after a browser starts, the first page can
 * load before the registrations are in force: it gets no shim, every
 * request to the homeserver fails, and matrix-js-sdk retries forever (the
 * browser-relaunch test's rare hang, reproduced with a probe: `fetch`
 * native, "Failed to fetch", 6 of 6 times on that page). A user would
 * reload; so does this. Firefox registers them as the add-on starts.
 */
export async function loadUntilShimmed(
  load: () => Promise<unknown>,
  shimmed: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await load();
    if (await shimmed()) return;
    if (Date.now() > deadline) throw new Error('hang guard: the extension never shimmed the page');
  }
}

/** The client page, once the extension's shim is in it (see loadUntilShimmed). */
export async function openShimmedClientPage(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage();
  await loadUntilShimmed(
    () => page.goto(`${origin}/`),
    () => page.evaluate(hasShim),
  );
  return page;
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
