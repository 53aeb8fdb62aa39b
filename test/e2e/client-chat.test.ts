// A real matrix-js-sdk client on an approved page talks to the extension's
// homeserver URL: discovery, registration, a room, 20 messages read back
// through /sync and /messages.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import { type ApprovedClient, openApprovedClient } from '../support/extension-session.ts';
import { callClient } from './client-page/driver.ts';

describe('a web client on an approved origin', () => {
  let client: ApprovedClient | undefined;
  let page: Page;
  let aliceToken = '';

  before(async () => {
    client = await openApprovedClient();
    ({ page } = client);
  });

  after(() => client?.close());

  test('discovers the homeserver through .well-known on the extension URL', async () => {
    assert.equal(await callClient(page, 'discover', HOMESERVER_ORIGIN), HOMESERVER_ORIGIN);
  });

  test('gets real Responses from fetch and XMLHttpRequest, and other URLs still reach the network', async () => {
    const viaFetch = await page.evaluate(async (url) => {
      const res = await fetch(`${url}/_matrix/client/versions`);
      const body = (await res.json()) as { versions: string[] };
      return {
        isResponse: res instanceof Response,
        status: res.status,
        url: res.url,
        versions: body.versions,
      };
    }, HOMESERVER_ORIGIN);
    assert.equal(viaFetch.isResponse, true);
    assert.equal(viaFetch.status, 200);
    assert.equal(viaFetch.url, `${HOMESERVER_ORIGIN}/_matrix/client/versions`);
    assert.ok(viaFetch.versions.includes('v1.11'));

    const viaXhr = await callClient(page, 'xhrGet', `${HOMESERVER_ORIGIN}/_matrix/client/versions`);
    assert.equal(viaXhr.status, 200);
    assert.match(viaXhr.contentType ?? '', /application\/json/);
    assert.ok((viaXhr.json as { versions: string[] }).versions.includes('v1.11'));

    const unknown = await page.evaluate(async (url) => {
      const res = await fetch(`${url}/_matrix/client/v3/no-such-endpoint`);
      return { status: res.status, body: (await res.json()) as { errcode: string } };
    }, HOMESERVER_ORIGIN);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.errcode, 'M_UNRECOGNIZED');

    const ownSite = await page.evaluate(async () => (await fetch('/client.js', { method: 'HEAD' })).status);
    assert.equal(ownSite, 200);
  });

  test('registers two users who chat: 20 messages arrive through /sync and /messages in order', async () => {
    const alice = await callClient(page, 'register', HOMESERVER_ORIGIN, 'alice');
    aliceToken = alice.accessToken;
    const bob = await callClient(page, 'register', HOMESERVER_ORIGIN, 'bob');
    await callClient(page, 'start', 'alice', HOMESERVER_ORIGIN, alice);
    await callClient(page, 'start', 'bob', HOMESERVER_ORIGIN, bob);
    const roomId = await callClient(page, 'createRoom', 'alice', 'e2e chat');
    await callClient(page, 'join', 'bob', roomId);

    const sent = Array.from({ length: 20 }, (_, i) => `message ${i + 1}`);
    for (const body of sent) await callClient(page, 'send', 'alice', roomId, body);

    assert.deepEqual(await callClient(page, 'syncedBodies', 'bob', roomId, sent.length), sent);
    assert.deepEqual(await callClient(page, 'history', 'bob', roomId), sent);
    assert.deepEqual(await callClient(page, 'history', 'alice', roomId), sent);
  });

  test('an aborted /sync long-poll rejects as fetch does, and the next request is answered', async () => {
    const outcome = await page.evaluate(
      async ({ url, token }) => {
        const headers = { authorization: `Bearer ${token}` };
        const first = (await (await fetch(`${url}/_matrix/client/v3/sync`, { headers })).json()) as {
          next_batch: string;
        };
        const controller = new AbortController();
        const poll = fetch(`${url}/_matrix/client/v3/sync?timeout=30000&since=${first.next_batch}`, {
          headers,
          signal: controller.signal,
        });
        setTimeout(() => controller.abort(), 50);
        const aborted = await poll.then(
          () => 'answered',
          (err: Error) => err.name,
        );
        const next = (await fetch(`${url}/_matrix/client/versions`)).status;
        return { aborted, next };
      },
      { url: HOMESERVER_ORIGIN, token: aliceToken },
    );
    assert.deepEqual(outcome, { aborted: 'AbortError', next: 200 });
  });
});
