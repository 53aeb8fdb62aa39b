// Closing the browser and opening it again with the same profile: the
// approval, the account and the room's history are all still there, because
// the homeserver keeps everything in IndexedDB.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import { type ExtensionBrowser, removeProfile } from '../../scripts/harness/extension-browser.ts';
import {
  approveOrigin,
  launchWithLoopbackAccess,
  startClientSite,
} from '../../scripts/harness/extension-session.ts';
import type { StaticSite } from '../../scripts/harness/static-site.ts';
import {
  callClient,
  openClientPage,
  openShimmedClientPage,
} from '../../scripts/harness/client-page/driver.ts';

describe('a browser closed and opened again', () => {
  let browser: ExtensionBrowser | undefined;
  let site: StaticSite;

  after(async () => {
    await browser?.close();
    await site?.close();
    if (browser) removeProfile(browser.profileDir);
  });

  test('keeps the approval, the account and the history', async (t) => {
    // Each step is noted with its time, so that a hang's report says where it
    // stopped (a rare hang after "page open" was an unshimmed first page: see
    // openShimmedClientPage).
    const began = Date.now();
    const step = (name: string) => t.diagnostic(`${Date.now() - began} ms: ${name}`);
    site = await startClientSite();
    browser = await launchWithLoopbackAccess();
    await approveOrigin(browser, site.origin);
    let page = await openClientPage(browser.context, site.origin);
    const alice = await callClient(page, 'register', HOMESERVER_ORIGIN, 'alice');
    await callClient(page, 'start', 'alice', HOMESERVER_ORIGIN, alice);
    const roomId = await callClient(page, 'createRoom', 'alice', 'before the restart');
    const sent = Array.from({ length: 10 }, (_, i) => `before ${i}`);
    for (const body of sent) await callClient(page, 'send', 'alice', roomId, body);
    const { profileDir } = browser;
    await browser.close();
    step('closed');

    browser = await launchWithLoopbackAccess({ profileDir });
    step('relaunched');
    page = await openShimmedClientPage(browser.context, site.origin);
    step('page open');
    await callClient(page, 'start', 'alice', HOMESERVER_ORIGIN, alice);
    step('client synced');
    assert.deepEqual(await callClient(page, 'history', 'alice', roomId), sent);

    step('history read');
    await callClient(page, 'send', 'alice', roomId, 'after');
    assert.deepEqual(await callClient(page, 'history', 'alice', roomId), [...sent, 'after']);
  });
});
