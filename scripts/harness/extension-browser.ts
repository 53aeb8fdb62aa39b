// Real Chromium (Debian's /usr/bin/chromium, never a downloaded browser) with
// the built extension (dist/chrome) loaded, driven by playwright-core. Run it
// inside the network namespace of scripts/run-e2e.ts: only loopback is up.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Worker } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';
export const EXTENSION_DIR = resolve(import.meta.dirname, '../../dist/chrome');

/** Flags from ../shared/TESTING.md: quiet, no network calls home, loopback WebRTC possible. */
function chromiumArgs(extensionDir: string, extraArgs: readonly string[]): string[] {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // No host name resolves (the IP literal of the test servers still works).
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--allow-loopback-in-peer-connection',
    `--disable-extensions-except=${extensionDir}`,
    `--load-extension=${extensionDir}`,
    ...(process.env.P2PM_DEBUG_CHROMIUM === '1' ? ['--enable-logging=stderr', '--v=0'] : []),
    ...extraArgs,
  ];
}

export interface ExtensionBrowser {
  readonly context: BrowserContext;
  /** The extension's service worker; after stopWorkers, wake it (open a page) before evaluating in it. */
  readonly worker: Worker;
  readonly extensionId: string;
  readonly profileDir: string;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Reuse a profile (relaunch); a fresh temporary one otherwise. */
  readonly profileDir?: string;
  /**
   * Host permissions to hold, as if the user had accepted the browser's
   * prompt for them (the prompt cannot be clicked in headless Chromium).
   */
  readonly grantHosts?: readonly string[];
  readonly extensionDir?: string;
  /** More Chromium flags (e.g. FAKE_MEDIA_ARGS). */
  readonly extraArgs?: readonly string[];
  /** Another way to start Chromium (split-network.ts: inside a network namespace); CHROMIUM_PATH by default. */
  readonly executablePath?: string;
}

/** Chromium's fake camera and microphone (a test pattern and a beep), and no permission prompt for them. */
export const FAKE_MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

export async function launchExtensionBrowser(options: LaunchOptions = {}): Promise<ExtensionBrowser> {
  const extensionDir = options.extensionDir ?? EXTENSION_DIR;
  if (!existsSync(join(extensionDir, 'manifest.json'))) {
    throw new Error(`${extensionDir} has no manifest.json: run npm run build first`);
  }
  const profileDir = options.profileDir ?? mkdtempSync(join(tmpdir(), 'p2pm-profile-'));
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  if (options.grantHosts?.length) {
    if (!installedIn(profileDir, extensionDir))
      await (await launch(executablePath, profileDir, extensionDir, [])).close();
    grantHostPermissions(profileDir, extensionDir, options.grantHosts);
  }
  return launch(executablePath, profileDir, extensionDir, options.extraArgs ?? []);
}

/**
 * Starts Chromium on the profile and finds the extension's worker. If the
 * worker does not show up (seen once, on a loaded machine, for a first start
 * on a fresh profile), the browser is closed, so that no test hangs on it,
 * and started once more.
 */
async function launch(
  executablePath: string,
  profileDir: string,
  extensionDir: string,
  extraArgs: readonly string[],
  attempt = 1,
): Promise<ExtensionBrowser> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: chromiumArgs(extensionDir, extraArgs),
    // WebRTC on a loopback-only host gathers candidates only with a media permission (TESTING.md).
    permissions: ['microphone'],
  });
  let worker: Worker;
  try {
    worker =
      context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 60_000 }));
  } catch (err) {
    await context.close();
    if (attempt > 1) throw err;
    console.error(`extension worker not found (${String(err)}); starting the browser again`);
    return launch(executablePath, profileDir, extensionDir, extraArgs, attempt + 1);
  }
  const extensionId = new URL(worker.url()).host;
  await grantMicrophone(context, `chrome-extension://${extensionId}`);
  return { context, worker, extensionId, profileDir, close: () => context.close() };
}

/**
 * The media permission that lets WebRTC gather loopback candidates
 * (TESTING.md), granted to the extension's own origin as well, where its
 * offscreen document runs the libp2p node. Playwright's grantPermissions
 * refuses chrome-extension: origins, the debugging protocol does not.
 */
async function grantMicrophone(context: BrowserContext, origin: string): Promise<void> {
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  try {
    await cdp.send('Browser.setPermission', {
      permission: { name: 'microphone' },
      setting: 'granted',
      origin,
    });
  } finally {
    await cdp.detach();
  }
}

/** Removes a profile made by launchExtensionBrowser. */
export function removeProfile(profileDir: string): void {
  rmSync(profileDir, { recursive: true, force: true });
}

/**
 * Stops every service worker, as Chrome does to an idle one (CDP
 * ServiceWorker.stopAllWorkers). The extension's worker starts again on its
 * next event, e.g. a content script's port.
 */
export async function stopServiceWorkers(context: BrowserContext): Promise<void> {
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  try {
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
  } finally {
    await cdp.detach();
  }
}

interface ExtensionSettings {
  path?: string;
  granted_permissions?: { explicit_host?: string[] };
  active_permissions?: { explicit_host?: string[] };
}

function preferencesPath(profileDir: string): string {
  return join(profileDir, 'Default', 'Preferences');
}

function extensionSettings(prefs: unknown, extensionDir: string): ExtensionSettings | undefined {
  const all = (prefs as { extensions?: { settings?: Record<string, ExtensionSettings> } }).extensions
    ?.settings;
  return Object.values(all ?? {}).find((entry) => entry.path === extensionDir);
}

function installedIn(profileDir: string, extensionDir: string): boolean {
  const path = preferencesPath(profileDir);
  return (
    existsSync(path) && extensionSettings(JSON.parse(readFileSync(path, 'utf8')), extensionDir) !== undefined
  );
}

/**
 * Writes granted host permissions into the closed profile's preferences,
 * where Chromium keeps what the user accepted in its permission prompt.
 */
function grantHostPermissions(profileDir: string, extensionDir: string, hosts: readonly string[]): void {
  const path = preferencesPath(profileDir);
  const prefs = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  const settings = extensionSettings(prefs, extensionDir);
  if (!settings) throw new Error('the extension is not installed in this profile');
  for (const key of ['granted_permissions', 'active_permissions'] as const) {
    settings[key] ??= {};
    const set = settings[key];
    set.explicit_host = [...new Set([...(set.explicit_host ?? []), ...hosts])];
  }
  writeFileSync(path, JSON.stringify(prefs));
}
