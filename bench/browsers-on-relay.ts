// The set-up the extension benches share: a relay process and the client
// page's site, and the Chromiums a bench launches on them, all ended (and the
// browsers' profiles removed) however the bench ends.
import { type ExtensionBrowser, removeProfile } from '../scripts/harness/extension-browser.ts';
import { startClientSite } from '../scripts/harness/extension-session.ts';
import { type RelayProcess, startRelayProcess } from '../scripts/harness/serve-process.ts';
import type { StaticSite } from '../scripts/harness/static-site.ts';

export interface BrowsersOnRelay {
  readonly relay: RelayProcess;
  readonly site: StaticSite;
  /** The bench pushes every browser it launches, for the teardown. */
  readonly browsers: ExtensionBrowser[];
}

export async function withBrowsersOnRelay<T>(bench: (setup: BrowsersOnRelay) => Promise<T>): Promise<T> {
  const relay = await startRelayProcess();
  const site = await startClientSite();
  const browsers: ExtensionBrowser[] = [];
  try {
    return await bench({ relay, site, browsers });
  } finally {
    for (const browser of browsers) {
      await browser.close();
      removeProfile(browser.profileDir);
    }
    await site.close();
    await relay.stop();
  }
}
