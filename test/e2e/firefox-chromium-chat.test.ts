// Firefox ESR with the extension (its node runs in the event page) chats with
// Chromium with the extension (its node in the offscreen document): the same
// matrix-js-sdk client page in both, a relay process on loopback, messages
// both ways over a direct WebRTC connection between the two browsers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page as PlaywrightPage } from 'playwright-core';
import type { Page as PuppeteerPage } from 'puppeteer-core';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import { type ExtensionBrowser, removeProfile } from '../../scripts/harness/extension-browser.ts';
import {
  approveOrigin,
  launchWithLoopbackAccess,
  startClientSite,
} from '../../scripts/harness/extension-session.ts';
import {
  type FirefoxWithExtension,
  launchFirefoxWithExtension,
  openShimmedPage,
} from '../support/firefox-browser.ts';
import { useRelay, waitForDirectWebRTC } from '../../scripts/harness/p2p-session.ts';
import { type RelayProcess, startRelayProcess } from '../../scripts/harness/serve-process.ts';
import type { StaticSite } from '../../scripts/harness/static-site.ts';
import { callClient, callClientWith, type PageEvaluate } from '../../scripts/harness/client-page/driver.ts';

const ROOM_NAME = 'firefox and chromium';

describe('Firefox and Chromium chatting peer to peer', () => {
  let relay: RelayProcess;
  let site: StaticSite;
  let chromium: ExtensionBrowser;
  let firefox: FirefoxWithExtension;
  let chromePage: PlaywrightPage;
  let firefoxPage: PuppeteerPage;
  let inFirefox: PageEvaluate;

  before(async () => {
    relay = await startRelayProcess();
    site = await startClientSite();
    chromium = await launchWithLoopbackAccess();
    await approveOrigin(chromium, site.origin);
    await useRelay(chromium, relay.multiaddrs[0]!);
    chromePage = (await chromium.context.newPage()) as PlaywrightPage;
    await chromePage.goto(`${site.origin}/`);
    firefox = await launchFirefoxWithExtension({
      approvedOrigins: [site.origin],
      networkSettings: { relays: [relay.multiaddrs[0]!], iceServers: [], displayName: '' },
    });
    firefoxPage = await openShimmedPage(firefox, `${site.origin}/`);
    inFirefox = (fn, arg) => firefoxPage.evaluate(fn, arg);
  });

  after(async () => {
    await firefox?.close();
    await chromium?.close();
    if (chromium) removeProfile(chromium.profileDir);
    await site?.close();
    await relay?.stop();
  });

  test('messages go both ways over a direct WebRTC connection', async () => {
    const alice = await callClient(chromePage, 'register', HOMESERVER_ORIGIN, 'alice');
    await callClient(chromePage, 'start', 'alice', HOMESERVER_ORIGIN, alice);
    const fox = await callClientWith(inFirefox, 'register', HOMESERVER_ORIGIN, 'fox');
    await callClientWith(inFirefox, 'start', 'fox', HOMESERVER_ORIGIN, fox);
    const chromiumServer = alice.userId.slice(alice.userId.indexOf(':') + 1);
    const firefoxServer = fox.userId.slice(fox.userId.indexOf(':') + 1);

    const roomId = await callClient(chromePage, 'createPublicRoom', 'alice', ROOM_NAME);
    assert.equal(await callClientWith(inFirefox, 'findPublicRoom', 'fox', ROOM_NAME), roomId);
    await callClientWith(inFirefox, 'join', 'fox', roomId, [chromiumServer]);

    const fromAlice = Array.from({ length: 10 }, (_, i) => `alice to firefox ${i}`);
    const fromFox = Array.from({ length: 10 }, (_, i) => `fox to chromium ${i}`);
    for (const body of fromAlice) await callClient(chromePage, 'send', 'alice', roomId, body);
    for (const body of fromFox) await callClientWith(inFirefox, 'send', 'fox', roomId, body);

    assert.deepEqual(
      await callClientWith(inFirefox, 'syncedWithPrefix', 'fox', roomId, 'alice', 10),
      fromAlice,
    );
    assert.deepEqual(await callClient(chromePage, 'syncedWithPrefix', 'alice', roomId, 'fox', 10), fromFox);

    const direct = await waitForDirectWebRTC(chromium, firefoxServer);
    assert.equal(direct.multiplexer, '/webrtc');
  });
});
