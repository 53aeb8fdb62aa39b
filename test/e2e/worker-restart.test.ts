// Chrome stops an idle extension worker whenever it likes; here it is
// stopped again and again (CDP ServiceWorker.stopAllWorkers, which is what
// Chrome's idle timer does) while two clients chat. The pending /sync
// long-poll and any send in flight are retried on a new worker: no message
// is lost, none is duplicated, and sync carries on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import { type ExtensionBrowser, stopServiceWorkers } from '../../scripts/harness/extension-browser.ts';
import { type ApprovedClient, openApprovedClient } from '../../scripts/harness/extension-session.ts';
import { callClient } from '../../scripts/harness/client-page/driver.ts';

const workerStart = (browser: ExtensionBrowser) => browser.worker.evaluate(() => performance.timeOrigin);

describe('the service worker stopped during a conversation', () => {
  let client: ApprovedClient | undefined;
  let browser: ExtensionBrowser;
  let page: Page;

  before(async () => {
    client = await openApprovedClient();
    ({ browser, page } = client);
  });

  after(() => client?.close());

  test('loses and duplicates no message, and sync resumes each time', async () => {
    const alice = await callClient(page, 'register', HOMESERVER_ORIGIN, 'alice');
    const bob = await callClient(page, 'register', HOMESERVER_ORIGIN, 'bob');
    await callClient(page, 'start', 'alice', HOMESERVER_ORIGIN, alice);
    await callClient(page, 'start', 'bob', HOMESERVER_ORIGIN, bob);
    const roomId = await callClient(page, 'createRoom', 'alice', 'restarts');
    await callClient(page, 'join', 'bob', roomId);
    const firstWorker = await workerStart(browser);

    const sent: string[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3; i++) {
        sent.push(`round ${round} message ${i}`);
        await callClient(page, 'send', 'alice', roomId, sent.at(-1)!);
      }
      // Bob's /sync is waiting in the worker now: stop it under him.
      await callClient(page, 'syncedBodies', 'bob', roomId, sent.length);
      await stopServiceWorkers(browser.context);
      // And once with a send in flight.
      sent.push(`round ${round} sent while stopping`);
      const inFlight = callClient(page, 'send', 'alice', roomId, sent.at(-1)!);
      await stopServiceWorkers(browser.context);
      await inFlight;
    }

    assert.deepEqual(await callClient(page, 'syncedBodies', 'bob', roomId, sent.length), sent);
    assert.deepEqual(await callClient(page, 'history', 'bob', roomId), sent);
    assert.notEqual(await workerStart(browser), firstWorker, 'the worker was restarted');
  });
});
