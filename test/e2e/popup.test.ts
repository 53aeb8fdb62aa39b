// The popup in real Chromium with the built extension: first run (create the
// account, copy the homeserver URL), add a relay, approve a site, allow it to
// create accounts (it cannot before: issue 12, finding 5), every view
// screenshotted (artifacts/popup/) and checked by axe-core, and a keyboard
// user's path through it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { type Relay, startRelay } from '../../src/node/relay.ts';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import { type ExtensionBrowser, removeProfile } from '../../scripts/harness/extension-browser.ts';
import {
  launchWithLoopbackAccess,
  startClientSite,
  untilAccountCreation,
} from '../../scripts/harness/extension-session.ts';
import {
  axeViolations,
  focusOrder,
  openPopup,
  screenshot,
  selectTab,
} from '../../scripts/harness/popup-page.ts';
import type { StaticSite } from '../../scripts/harness/static-site.ts';
import { openClientPage } from '../../scripts/harness/client-page/driver.ts';

const VIEWS = ['Home', 'Peers', 'Rooms', 'Sites', 'Storage', 'Settings'];

describe('the popup in Chromium', () => {
  let browser: ExtensionBrowser;
  let relay: Relay;
  let site: StaticSite;
  let popup: Page;

  before(async () => {
    relay = await startRelay();
    site = await startClientSite();
    browser = await launchWithLoopbackAccess();
    // Chromium grants clipboard access to an extension page only without naming its (opaque) origin.
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    popup = await openPopup(browser);
  });

  after(async () => {
    await browser?.close();
    await relay?.stop();
    await site?.close();
    if (browser) removeProfile(browser.profileDir);
  });

  test('first run: the status and the account form, with the homeserver URL', async () => {
    await popup.getByText('Ready', { exact: true }).waitFor();
    assert.equal(
      await popup.getByRole('textbox', { name: 'Homeserver URL' }).inputValue(),
      HOMESERVER_ORIGIN,
    );
    assert.ok(await popup.getByText('In Element: Sign in → Edit homeserver → paste').isVisible());
    await popup.getByRole('button', { name: 'Create account' }).waitFor();
    await screenshot(popup, 'home-first-run');
  });

  test('the main view fits the popup: nothing scrolls', async () => {
    const overflow = await popup.evaluate(() => {
      type Box = { scrollHeight: number; clientHeight: number };
      const doc = (
        globalThis as unknown as { document: { scrollingElement: Box; querySelector(s: string): Box } }
      ).document;
      const panel = doc.querySelector('[role=tabpanel]');
      return {
        page: doc.scrollingElement.scrollHeight - doc.scrollingElement.clientHeight,
        panel: panel.scrollHeight - panel.clientHeight,
      };
    });
    assert.deepEqual(overflow, { page: 0, panel: 0 });
  });

  test('creates the local account; its full user ID is shown, and shown again on reopening', async () => {
    await popup.getByLabel('Username').fill('alice');
    await popup.getByLabel('Password').fill('correct horse battery');
    const before = await popup.getByRole('textbox', { name: 'Homeserver URL' }).boundingBox();
    await popup.getByRole('button', { name: 'Create account' }).click();
    const userId = popup.getByRole('textbox', { name: 'Your user ID' });
    await userId.waitFor();
    assert.match(await userId.inputValue(), /^@alice:[0-9a-f]{64}$/);
    const after = await popup.getByRole('textbox', { name: 'Homeserver URL' }).boundingBox();
    assert.deepEqual(after, before, 'creating the account moves nothing below it');
    await screenshot(popup, 'home');
    await popup.reload();
    assert.match(await popup.getByRole('textbox', { name: 'Your user ID' }).inputValue(), /^@alice:/);
  });

  test('copies the homeserver URL to the clipboard', async () => {
    await popup.getByRole('button', { name: 'Copy homeserver URL' }).click();
    await popup.getByText('Copied').waitFor();
    const clipboard = await popup.evaluate(() =>
      (
        globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
      ).navigator.clipboard.readText(),
    );
    assert.equal(clipboard, HOMESERVER_ORIGIN);
  });

  test('adds a relay by its multiaddr; a typo is explained first', async () => {
    await selectTab(popup, 'Peers');
    const addr = relay.multiaddrs[0]!;
    await popup.getByLabel('Multiaddr').fill(addr.replace('/ws/', '/'));
    await popup.getByRole('button', { name: 'Add relay' }).click();
    await popup.getByText(/A browser can only connect through \/ws/).waitFor();
    await popup.getByLabel('Multiaddr').fill(addr);
    await popup.getByRole('button', { name: 'Add relay' }).click();
    await popup.getByText('Relay added.').waitFor();
    const relays = popup.getByRole('list', { name: 'Relays' });
    await relays.getByRole('button', { name: `Remove relay ${addr}` }).waitFor();
    await screenshot(popup, 'peers');
  });

  test('approves a typed site, which can then reach the homeserver', async () => {
    await selectTab(popup, 'Sites');
    await popup.getByLabel('Site origin').fill('ftp://127.0.0.1');
    await popup.getByRole('button', { name: 'Approve', exact: true }).click();
    await popup.getByText(/only http and https origins can be approved/).waitFor();
    await popup.getByLabel('Site origin').fill(site.origin);
    await popup.getByRole('button', { name: 'Approve', exact: true }).click();
    await popup.getByRole('list', { name: 'Approved sites' }).getByText(site.origin).waitFor();
    await screenshot(popup, 'sites');
    const page = await openClientPage(browser.context, site.origin);
    const status = await page.evaluate(
      async (url) => (await fetch(`${url}/_matrix/client/versions`)).status,
      HOMESERVER_ORIGIN,
    );
    assert.equal(status, 200);
    await page.close();
  });

  test('the approved site creates no account until the user ticks it for that site (403 M_FORBIDDEN)', async () => {
    const page = await openClientPage(browser.context, site.origin);
    // What a client's registration form sends: the first step, then the dummy stage with its session.
    const register = (username: string) =>
      page.evaluate(
        async ([url, name]) => {
          const post = async (body: unknown) => {
            const res = await fetch(`${url}/_matrix/client/v3/register`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(body),
            });
            return { status: res.status, body: (await res.json()) as Record<string, unknown> };
          };
          const first = await post({ username: name, password: 'a page password' });
          if (first.status !== 401) return [first.status, first.body.errcode];
          const done = await post({
            username: name,
            password: 'a page password',
            auth: { type: 'm.login.dummy', session: first.body.session },
          });
          return [done.status, done.body.errcode ?? done.body.user_id];
        },
        [HOMESERVER_ORIGIN, username] as const,
      );
    assert.deepEqual(await register('mallory'), [403, 'M_FORBIDDEN']);
    await selectTab(popup, 'Sites');
    const box = popup.getByRole('checkbox', { name: `Let ${site.origin} create accounts` });
    assert.equal(await box.isChecked(), false);
    await box.check();
    await untilAccountCreation(browser, site.origin, true);
    const [status, userId] = await register('carol');
    assert.equal(status, 200);
    assert.match(String(userId), /^@carol:[0-9a-f]{64}$/);
    await screenshot(popup, 'sites-account-creation');
    await box.uncheck();
    await untilAccountCreation(browser, site.origin, false);
    assert.deepEqual(await register('dave'), [403, 'M_FORBIDDEN']);
    await page.close();
  });

  test('the other views: rooms, storage, settings', async () => {
    await selectTab(popup, 'Rooms');
    await popup.getByText('The account has not joined any rooms yet', { exact: false }).waitFor();
    await popup.getByText('No rooms found.').waitFor();
    await screenshot(popup, 'rooms');
    await selectTab(popup, 'Storage');
    await popup.getByText(/ of .* available$/).waitFor();
    await screenshot(popup, 'storage');
    await selectTab(popup, 'Settings');
    await popup.getByLabel('Relays (one multiaddr per line)').waitFor();
    assert.equal(await popup.getByLabel('Relays (one multiaddr per line)').inputValue(), relay.multiaddrs[0]);
    await screenshot(popup, 'settings');
  });

  test('every view passes axe-core with no violation, in light and in dark', async () => {
    const found: Record<string, unknown> = {};
    for (const colorScheme of ['light', 'dark'] as const) {
      await popup.emulateMedia({ colorScheme });
      for (const view of VIEWS) {
        await selectTab(popup, view);
        const violations = await axeViolations(popup);
        if (violations.length > 0) found[`${view} (${colorScheme})`] = violations;
      }
    }
    await selectTab(popup, 'Home');
    await screenshot(popup, 'home-dark');
    await popup.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(found, {});
  });

  test('the keyboard reaches the tabs, then each control in reading order', async () => {
    await selectTab(popup, 'Home');
    assert.deepEqual(await focusOrder(popup, 4), [
      'Home',
      'Your user ID',
      'Copy user ID',
      'Homeserver URL',
      'Copy homeserver URL',
    ]);
    await popup.getByRole('tab', { selected: true }).focus();
    await popup.keyboard.press('ArrowRight');
    assert.equal(await popup.getByRole('tab', { selected: true }).textContent(), 'Peers');
  });
});
