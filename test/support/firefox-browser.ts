// Firefox ESR (Debian's /usr/bin/firefox-esr, never a downloaded browser)
// with the built extension (dist/firefox), driven by puppeteer-core over
// WebDriver BiDi: `browser.installExtension` installs it as a temporary
// add-on. Run it inside the network namespace of scripts/run-e2e.ts.
//
// Approving a site: Firefox only grants an optional host permission from
// `permissions.request` inside a user gesture on an extension page, and BiDi
// can neither open moz-extension:// pages nor evaluate in the background
// page. So the profile is prepared before Firefox starts with what the
// user's click in the popup would have left in it, in the two places Firefox
// keeps it:
//  - the granted origin, in the profile's permission store
//    (extension-preferences.json: Firefox ESR's store for optional
//    permissions a user granted);
//  - the extension's storage.local (`approvedOrigins`, the sites allowed to
//    create accounts in `accountCreationOrigins`, and the relay in
//    `networkSettings`, exactly as the popup stores them), in the JSON file
//    (browser-extension-data/<id>/storage.js) that Firefox imports into its
//    IndexedDB backend when the add-on starts. Firefox skips that import for
//    a fresh install unless the profile keeps add-on data across installs
//    (`extensions.webextensions.keepStorageOnUninstall`), so that pref is set:
//    the profile behaves as one where this add-on was installed before.
// When the add-on is installed, its runtime.onInstalled handler reconciles
// the approvals as on every update: the permission is there, so it
// registers the content scripts for the approved origin. Nothing in the
// shipped extension knows about tests.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { hasShim, loadUntilShimmed } from '../../scripts/harness/client-page/driver.ts';
import { originMatchPattern } from '../../src/platform/web/match-pattern.firefox.ts';
import { normalizeOrigin } from '../../src/platform/web/origins.ts';

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
export const FIREFOX_EXTENSION_DIR = resolve(import.meta.dirname, '../../dist/firefox');

/**
 * Firefox's own calls home stay off (the namespace has no route anyway). No
 * dead proxy as in the feasibility study: Firefox sent the node's websocket
 * to the relay on 127.0.0.1 through it, and it never connected.
 */
const QUIET_PREFS: Record<string, unknown> = {
  'network.trr.mode': 5,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'extensions.update.enabled': false,
  'app.update.enabled': false,
  // Import the prepared storage.local data on install (see the header).
  'extensions.webextensions.keepStorageOnUninstall': true,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
};

/**
 * WebRTC between two browsers on a loopback-only host (the test namespace):
 * gather loopback host candidates, unobfuscated (no mDNS names, which would
 * need multicast), as Chromium does with --allow-loopback-in-peer-connection.
 *
 * That is not enough on its own: Firefox gathers candidates on the default
 * route's interface only ("use only default local addresses") unless the
 * document is capturing or holds a camera or microphone permission,
 * whatever `default_address_only` says, and the namespace has no default
 * route, so the event page gathered nothing and every ICE attempt failed.
 * As for Chromium (TESTING.md), the extension's origin is granted the
 * microphone permission: through a defaults file of the permission manager
 * (`permissions.manager.defaultsUrl`; BiDi's permissions.setPermission does
 * not know "microphone"), for a moz-extension:// origin made stable by
 * `extensions.webextensions.uuids`.
 */
const LOOPBACK_WEBRTC_PREFS: Record<string, unknown> = {
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.peerconnection.ice.default_address_only': false,
};

/** P2PM_DEBUG_FIREFOX=1 prints Firefox's console, the extension's included, to the test's output. */
const DEBUG = process.env.P2PM_DEBUG_FIREFOX === '1';
const DEBUG_PREFS = { 'devtools.console.stdout.chrome': true, 'devtools.console.stdout.content': true };

export interface FirefoxSetup {
  /** Origins the user approved, with the host permission granted. */
  readonly approvedOrigins: readonly string[];
  /** The approved origins also allowed to create accounts (default: all of them, as the tests' pages register). */
  readonly accountCreationOrigins?: readonly string[];
  /** The popup's network settings (storage key networkSettings). */
  readonly networkSettings?: { relays: string[]; iceServers: []; displayName: string };
}

export interface FirefoxWithExtension {
  readonly browser: Browser;
  readonly extensionId: string;
  readonly profileDir: string;
  close(): Promise<void>;
}

function geckoId(extensionDir: string): string {
  const manifest = JSON.parse(readFileSync(join(extensionDir, 'manifest.json'), 'utf8')) as {
    browser_specific_settings: { gecko: { id: string } };
  };
  return manifest.browser_specific_settings.gecko.id;
}

/** Writes what approving `setup.approvedOrigins` in the popup leaves in a Firefox profile (see the header). */
function prepareProfile(profileDir: string, id: string, setup: FirefoxSetup): void {
  // The Firefox build's pattern (match-pattern.firefox.ts): Firefox patterns have no port.
  const origins = setup.approvedOrigins.map((o) => originMatchPattern(normalizeOrigin(o)));
  writeFileSync(
    join(profileDir, 'extension-preferences.json'),
    JSON.stringify({ [id]: { permissions: [], origins, data_collection: [] } }),
  );
  const dataDir = join(profileDir, 'browser-extension-data', id);
  mkdirSync(dataDir, { recursive: true });
  const storage = {
    approvedOrigins: setup.approvedOrigins,
    accountCreationOrigins: setup.accountCreationOrigins ?? setup.approvedOrigins,
    ...(setup.networkSettings && { networkSettings: setup.networkSettings }),
  };
  writeFileSync(join(dataDir, 'storage.js'), JSON.stringify(storage));
}

/** Prefs that give the add-on a fixed moz-extension:// origin holding the microphone permission. */
function microphoneForExtension(profileDir: string, id: string): Record<string, unknown> {
  const uuid = randomUUID();
  const defaults = join(profileDir, 'test-permissions');
  writeFileSync(defaults, `origin\tmicrophone\t1\tmoz-extension://${uuid}\n`);
  return {
    'extensions.webextensions.uuids': JSON.stringify({ [id]: uuid }),
    'permissions.manager.defaultsUrl': pathToFileURL(defaults).href,
  };
}

export interface FirefoxLaunchOptions {
  readonly extensionDir?: string;
  /** More prefs for this browser (e.g. where downloads go). */
  readonly prefs?: Record<string, unknown>;
}

export async function launchFirefoxWithExtension(
  setup: FirefoxSetup,
  { extensionDir = FIREFOX_EXTENSION_DIR, prefs = {} }: FirefoxLaunchOptions = {},
): Promise<FirefoxWithExtension> {
  const id = geckoId(extensionDir);
  const profileDir = mkdtempSync(join(tmpdir(), 'p2pm-firefox-'));
  prepareProfile(profileDir, id, setup);
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    userDataDir: profileDir,
    extraPrefsFirefox: {
      ...QUIET_PREFS,
      ...LOOPBACK_WEBRTC_PREFS,
      ...microphoneForExtension(profileDir, id),
      ...(DEBUG && DEBUG_PREFS),
      ...prefs,
    },
    dumpio: DEBUG,
  });
  try {
    const extensionId = await browser.installExtension(extensionDir);
    return {
      browser,
      extensionId,
      profileDir,
      close: async () => {
        await browser.close();
        rmSync(profileDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await browser.close();
    rmSync(profileDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Opens `url` once the extension's content scripts are registered for it:
 * the add-on registers them as it starts, so a page opened before that has
 * no shim and is loaded again (hang guard: 60 s). Again means a reload: a
 * second `goto` to a URL with a fragment (Element's `#/register`) only
 * moves within the document, which then never gets the shim.
 */
export async function openShimmedPage(firefox: FirefoxWithExtension, url: string): Promise<Page> {
  const page = await firefox.browser.newPage();
  let opened = false;
  await loadUntilShimmed(
    async () => {
      if (opened) await page.reload();
      else await page.goto(url);
      opened = true;
    },
    () => page.evaluate(hasShim),
  );
  return page;
}
