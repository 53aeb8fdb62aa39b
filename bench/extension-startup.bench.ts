// The extension's start and its page → homeserver hop, in real Chromium with
// the built dist/chrome, one browser with a relay and a registered user:
//  - page → homeserver round trip through the content-script shim (GET
//    /versions, 200 sequential calls after a warm-up), p50/p95/p99/max;
//  - service-worker cold start: the worker stopped as Chrome stops an idle
//    one, then the time until the page's next /versions is answered (10×).
// With P2PM_BASE_EXTENSION=<a built dist/chrome of the code before a change>
// the same figures are taken from that build too, in turns with this one (a
// browser for each, both open), so that a change is judged by paired runs on
// a shared machine; only this build's figures go into the table.
// P2PM_EXTENSION=<a built dist/chrome> measures that build instead of dist/chrome.
// The page is not cross-origin isolated, so its clock is coarse (printed:
// Chromium steps of 0.1 ms); the mean is printed beside the quantiles.
// Run alone: `node bench/run.ts extension-startup` (after `npm run build`).
import { loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { HOMESERVER_ORIGIN } from '../src/platform/web/homeserver-url.ts';
import { callClient, openClientPage } from '../scripts/harness/client-page/driver.ts';
import {
  EXTENSION_DIR,
  type ExtensionBrowser,
  stopServiceWorkers,
} from '../scripts/harness/extension-browser.ts';
import { approveOrigin, launchWithLoopbackAccess } from '../scripts/harness/extension-session.ts';
import { useRelay } from '../scripts/harness/p2p-session.ts';
import { mean } from './bench-homeserver.ts';
import { withBrowsersOnRelay } from './browsers-on-relay.ts';
import { extensionMissing } from './extension-missing.ts';
import { measured, quick } from './table.ts';

const ROUND_TRIPS = 200;
const COLD_STARTS = quick ? 6 : 10;

interface Side {
  readonly label: string;
  readonly browser: ExtensionBrowser;
  readonly page: Page;
  readonly versions: number[];
  readonly cold: number[];
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const load = () => `load ${loadavg()[0]!.toFixed(1)}`;

function spreadText(times: readonly number[]): string {
  const [p50, p95, p99] = [0.5, 0.95, 0.99].map((q) => ms(quantile(times, q)));
  return `p50 ${p50}, p95 ${p95}, p99 ${p99}, max ${ms(Math.max(...times))}`;
}

/**
 * What the page's performance.now() can resolve: a page that is not
 * cross-origin isolated gets a coarsened clock (Chromium: steps of 0.1 ms,
 * jittered), so each round trip above is a multiple of it and a p50 moves by
 * whole steps; the mean of many is finer.
 */
async function pageClock(page: Page): Promise<string> {
  const { isolated, step } = await page.evaluate(() => {
    let step = Number.POSITIVE_INFINITY;
    let last = performance.now();
    for (let seen = 0; seen < 50; ) {
      const now = performance.now();
      if (now !== last) {
        step = Math.min(step, now - last);
        last = now;
        seen++;
      }
    }
    return { isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true, step };
  });
  return `page clock steps of ${step >= 0.01 ? ms(step) : `${(step * 1000).toFixed(1)} us`}, crossOriginIsolated ${isolated}`;
}

async function coldStart(side: Side): Promise<void> {
  await stopServiceWorkers(side.browser.context);
  side.cold.push((await callClient(side.page, 'versionsRoundTrips', HOMESERVER_ORIGIN, 1))[0]!);
}

export default async function extensionStartupBench(): Promise<void> {
  const missing = extensionMissing();
  if (missing) return console.log(missing);
  const base = process.env.P2PM_BASE_EXTENSION;
  return withBrowsersOnRelay(async ({ relay, site, browsers }) => {
    const open = async (label: string, extensionDir: string): Promise<Side> => {
      const browser = await launchWithLoopbackAccess({ extensionDir });
      browsers.push(browser);
      await approveOrigin(browser, site.origin);
      await useRelay(browser, relay.multiaddrs[0]!);
      const page = await openClientPage(browser.context, site.origin);
      const creds = await callClient(page, 'register', HOMESERVER_ORIGIN, 'alice');
      await callClient(page, 'start', 'alice', HOMESERVER_ORIGIN, creds);
      return { label, browser, page, versions: [], cold: [] };
    };
    const sides = [await open('this build', process.env.P2PM_EXTENSION ?? EXTENSION_DIR)];
    if (base) sides.push(await open('base build', base));

    for (const side of sides) await callClient(side.page, 'versionsRoundTrips', HOMESERVER_ORIGIN, 20);
    // In turns, a quarter of the round trips at a time, so that both builds meet the same load.
    for (let round = 0; round < 4; round++) {
      for (const side of sides) {
        side.versions.push(
          ...(await callClient(side.page, 'versionsRoundTrips', HOMESERVER_ORIGIN, ROUND_TRIPS / 4)),
        );
      }
    }
    const clock = await pageClock(sides[0]!.page);
    for (let i = 0; i < COLD_STARTS; i++) for (const side of sides) await coldStart(side);

    const [mine] = sides;
    measured('ext.versions.p50', quantile(mine!.versions, 0.5));
    measured('ext.cold-start.p50', quantile(mine!.cold, 0.5));
    for (const side of sides) {
      console.log(
        `${side.label}: page → homeserver via the content script (GET /versions, ${ROUND_TRIPS}×): ${spreadText(side.versions)}, mean ${ms(mean(side.versions))} (goal p50 ≤ 1 ms; ${load()})`,
      );
      console.log(
        `${side.label}: service worker stopped → first /versions answered (${COLD_STARTS}×): ${spreadText(side.cold)} (goal p50 ≤ 150 ms; ${load()})`,
      );
    }
    console.log(`(${clock})`);
  });
}

if (import.meta.main) await extensionStartupBench();
