// A page on an origin the user did not approve gets nothing: no shim, its
// request to the homeserver URL goes to the network and fails (the name
// never resolves), and nothing reaches the background. The unapproved page
// here differs from an approved one only by its port, and the extension even
// holds the host permission for it: the approval alone decides.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import { type ExtensionBrowser, removeProfile } from '../../scripts/harness/extension-browser.ts';
import {
  approveOrigin,
  backgroundStats,
  launchWithLoopbackAccess,
  revokeOrigin,
  startClientSite,
} from '../../scripts/harness/extension-session.ts';
import type { StaticSite } from '../../scripts/harness/static-site.ts';
import { openClientPage } from '../../scripts/harness/client-page/driver.ts';
import { until } from '../support/js-sdk.ts';

describe('an unapproved origin', () => {
  let browser: ExtensionBrowser;
  let approved: StaticSite;
  let unapproved: StaticSite;

  before(async () => {
    approved = await startClientSite();
    unapproved = await startClientSite();
    browser = await launchWithLoopbackAccess();
    await approveOrigin(browser, approved.origin);
  });

  after(async () => {
    await browser?.close();
    await approved?.close();
    await unapproved?.close();
    if (browser) removeProfile(browser.profileDir);
  });

  test('cannot reach the homeserver, and nothing reaches the background', async () => {
    const before = await backgroundStats(browser);
    const page = await openClientPage(browser.context, unapproved.origin);
    const outcome = await page.evaluate(async (url) => {
      const nativeFetch = Function.prototype.toString.call(fetch).includes('[native code]');
      const xhr = (globalThis as unknown as { XMLHttpRequest: unknown }).XMLHttpRequest;
      const nativeXhr = Function.prototype.toString.call(xhr).includes('[native code]');
      // TURN credentials included: the relay's TURN is only for approved pages' users.
      const errors = [];
      for (const path of ['/_matrix/client/versions', '/_matrix/client/v3/voip/turnServer']) {
        try {
          await fetch(`${url}${path}`);
          errors.push(null);
        } catch (err) {
          errors.push((err as Error).name);
        }
      }
      return { nativeFetch, nativeXhr, errors };
    }, HOMESERVER_ORIGIN);
    assert.deepEqual(outcome, { nativeFetch: true, nativeXhr: true, errors: ['TypeError', 'TypeError'] });
    assert.deepEqual(await backgroundStats(browser), before);
  });

  test('while the approved origin on the same host is served, on its port, then on a client channel', async () => {
    const page = await openClientPage(browser.context, approved.origin);
    const versions = () =>
      page.evaluate(async (url) => (await fetch(`${url}/_matrix/client/versions`)).status, HOMESERVER_ORIGIN);
    assert.equal(await versions(), 200);
    assert.ok(((await backgroundStats(browser)).portsOpened ?? 0) >= 1);
    // The first request's port was offered a channel (client-wire.ts); once it is paired, requests go on it.
    const paired = await until('a client channel paired', async () => {
      const stats = await backgroundStats(browser);
      return (stats.channels ?? 0) >= 1 && stats;
    });
    assert.equal(await versions(), 200);
    const after = await backgroundStats(browser);
    assert.ok(
      (after.channelMessages ?? 0) > (paired.channelMessages ?? 0),
      'the request came on the channel',
    );
    assert.equal(after.messages, paired.messages, 'and not on the port');
    // The bridge page's frame (in a closed shadow root) is gone once the channel is open.
    assert.equal(await page.evaluate(() => (globalThis as unknown as { length: number }).length), 0);
  });

  test('and a revoked origin is one again from its next page load', async () => {
    const page = await openClientPage(browser.context, approved.origin);
    assert.deepEqual(await revokeOrigin(browser, approved.origin), []);
    await page.reload();
    const outcome = await page.evaluate(async (url) => {
      const nativeFetch = Function.prototype.toString.call(fetch).includes('[native code]');
      return fetch(`${url}/_matrix/client/versions`).then(
        () => ({ nativeFetch, error: null }),
        (err: Error) => ({ nativeFetch, error: err.name }),
      );
    }, HOMESERVER_ORIGIN);
    assert.deepEqual(outcome, { nativeFetch: true, error: 'TypeError' });
  });
});
