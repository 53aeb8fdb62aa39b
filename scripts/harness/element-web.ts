// Element Web, the built webapp in ../shared/clients/element-web (see its
// README), served on 127.0.0.1 with a config that points it at the
// extension's homeserver, and opened in Chromium with the extension on that
// approved origin. The client is never changed: a failure against our
// homeserver is a finding about the homeserver.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import type { ExtensionBrowser, LaunchOptions } from './extension-browser.ts';
import { approveOrigin, launchWithLoopbackAccess } from './extension-session.ts';
import { useRelay } from './p2p-session.ts';
import { type StaticSite, startStaticSite } from './static-site.ts';

/** Beside the clone, as in CI: `../shared/clients/element-web` from the repository's root. */
export const ELEMENT_WEB_DIR = resolve(import.meta.dirname, '../../../shared/clients/element-web');

/** Element's README asks for at least this much room. */
export const ELEMENT_VIEWPORT = { width: 1280, height: 800 };

/** Why Element Web cannot be tested here, or undefined when it can. */
export function elementWebMissing(): string | undefined {
  if (existsSync(resolve(ELEMENT_WEB_DIR, 'index.html'))) return undefined;
  return `${ELEMENT_WEB_DIR} (the built Element Web that CI places beside the clone) is not on this machine`;
}

/**
 * The config of ../shared/clients/README.md: our homeserver, nothing that
 * would reach another server (integrations, maps, Element Call, guests).
 */
export function elementConfig(homeserver = HOMESERVER_ORIGIN): Record<string, unknown> {
  return {
    default_server_config: { 'm.homeserver': { base_url: homeserver } },
    disable_guests: true,
    disable_3pid_login: true,
    integrations_ui_url: '',
    integrations_rest_url: '',
    integrations_widgets_urls: [],
    room_directory: { servers: [] },
    setting_defaults: {
      'UIFeature.feedback': false,
      'UIFeature.widgets': false,
      'UIFeature.locationSharing': false,
    },
    element_call: { url: '' },
    map_style_url: '',
    mobile_guide_toast: false,
  };
}

/** Serves Element Web on a new port of 127.0.0.1, answering /config.json (and its per-host name) with `config`. */
export function startElementWeb(config = elementConfig()): Promise<StaticSite> {
  const missing = elementWebMissing();
  if (missing) throw new Error(`Element Web cannot be served: ${missing}`);
  const body = JSON.stringify(config);
  const json = { type: 'application/json', body };
  return startStaticSite({ '/config.json': json, '/config.127.0.0.1.json': json }, ELEMENT_WEB_DIR);
}

export interface ElementBrowser {
  readonly browser: ExtensionBrowser;
  /** The browser's own homeserver's server name. */
  readonly serverName: string;
  readonly page: Page;
}

export interface OpenElementOptions {
  /** How Chromium is started (e.g. with fake media devices). */
  readonly launch?: LaunchOptions;
  /** A script run in Element's page before any of Element's own (a test's probe). */
  readonly initScript?: () => void;
}

/**
 * Chromium with the extension, Element's origin approved, the relay set as
 * the popup's "Add relay" does, and Element open at `path` (a hash route such
 * as '#/register') in a tab of ELEMENT_VIEWPORT.
 */
export async function openElement(
  site: StaticSite,
  relay: string,
  path = '',
  options: OpenElementOptions = {},
): Promise<ElementBrowser> {
  const browser = await launchWithLoopbackAccess(options.launch);
  try {
    await approveOrigin(browser, site.origin);
    const serverName = await useRelay(browser, relay);
    const page = await browser.context.newPage();
    if (options.initScript) await page.addInitScript(options.initScript);
    await page.setViewportSize(ELEMENT_VIEWPORT);
    await page.goto(`${site.origin}/${path}`);
    return { browser, serverName, page };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
