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

/** Calls p2pmClient[method](...args) in the page and returns its result. */
export function callClient<M extends Method>(
  page: Page,
  method: M,
  ...args: Parameters<ClientPageApi[M]>
): Promise<Awaited<ReturnType<ClientPageApi[M]>>> {
  return page.evaluate(
    ([name, params]) => {
      const api = (globalThis as unknown as { p2pmClient: Record<string, (...a: unknown[]) => unknown> })
        .p2pmClient;
      return api[name]!(...params);
    },
    [method, args] as [string, unknown[]],
  ) as Promise<Awaited<ReturnType<ClientPageApi[M]>>>;
}
