// A real matrix-js-sdk client on an approved page talks to the extension's
// homeserver URL: discovery, registration, a room, 20 messages read back
// through /sync and /messages; an answer of several chunks streams whole.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import { type ApprovedClient, openApprovedClient } from '../../scripts/harness/extension-session.ts';
import { callClient } from '../../scripts/harness/client-page/driver.ts';

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

  test('a response larger than one chunk streams whole to fetch and to XMLHttpRequest', async () => {
    // Six messages of 50 kB (UTF-8) make a /messages answer of over 300 kB: more than one 256 KiB chunk.
    const bodies = Array.from({ length: 6 }, (_, i) => `${i}:${'é'.repeat(25_000)}`);
    const headers = { authorization: `Bearer ${aliceToken}` };
    const api = `${HOMESERVER_ORIGIN}/_matrix/client/v3`;
    const messagesUrl = await page.evaluate(
      async ({ api, headers, bodies }) => {
        const created = await fetch(`${api}/createRoom`, { method: 'POST', headers, body: '{}' });
        const room = encodeURIComponent(((await created.json()) as { room_id: string }).room_id);
        for (const [i, body] of bodies.entries()) {
          const content = JSON.stringify({ msgtype: 'm.text', body });
          await fetch(`${api}/rooms/${room}/send/m.room.message/big${i}`, {
            method: 'PUT',
            headers,
            body: content,
          });
        }
        return `${api}/rooms/${room}/messages?dir=f&limit=20`;
      },
      { api, headers, bodies },
    );
    const bodiesOf = (answer: unknown) =>
      (answer as { chunk: { content: { body?: string } }[] }).chunk.flatMap((e) => e.content.body ?? []);

    const viaFetch = await page.evaluate(
      async ({ url, headers }) => {
        const reader = (await fetch(url, { headers })).body!.getReader();
        const decoder = new TextDecoder();
        let text = '';
        let reads = 0;
        let bytes = 0;
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
          reads++;
          bytes += read.value.byteLength;
          text += decoder.decode(read.value, { stream: true });
        }
        return { reads, bytes, json: JSON.parse(text + decoder.decode()) as unknown };
      },
      { url: messagesUrl, headers },
    );
    assert.ok(viaFetch.bytes > 256 * 1024, `${viaFetch.bytes} bytes`);
    assert.ok(viaFetch.reads >= 2, `the fetch body came in ${viaFetch.reads} reads`);
    assert.deepEqual(bodiesOf(viaFetch.json), bodies);

    const viaXhr = await callClient(page, 'xhrGet', messagesUrl, headers);
    assert.ok(viaXhr.progressEvents >= 2, `${viaXhr.progressEvents} XHR progress events`);
    assert.deepEqual(bodiesOf(viaXhr.json), bodies);
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
