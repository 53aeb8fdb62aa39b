// The MAIN-world fetch shim and its page channel, against a fake isolated
// script: responses resolve at their head and their bodies stream.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import { installFakePage, textChunk } from './fake-page.ts';

const page = installFakePage();
const { openPageChannel } = await import('../../content/shim/page-channel.ts');
const { installFetchShim } = await import('../../content/shim/fetch-shim.ts');
installFetchShim(openPageChannel());
const isolated = page.isolated();
const shimFetch = window.fetch;

const VERSIONS = `${HOMESERVER_ORIGIN}/_matrix/client/versions`;

/** Starts a fetch and returns it with the id the shim gave its request. */
async function start(url = VERSIONS, init?: RequestInit) {
  const response = shimFetch(url, init);
  const request = await isolated.next();
  assert.equal(request.type, 'request');
  return { response, id: request.id };
}

const head = (id: number, status = 200) => ({
  type: 'head',
  id,
  status,
  headers: { 'content-type': 'application/json' },
});

describe('the fetch shim', () => {
  after(() => page.close());

  test('sends a body given as text, a Blob or bytes as its UTF-8 bytes, the method and the headers', async () => {
    const url = `${HOMESERVER_ORIGIN}/_matrix/client/v3/rooms/!r:x/send/m.room.message/t1`;
    const text = JSON.stringify({ msgtype: 'm.text', body: 'é€😀' });
    for (const body of [text, new Blob([text]), new TextEncoder().encode(text)]) {
      const response = shimFetch(url, {
        method: 'PUT',
        body,
        headers: { 'content-type': 'application/json' },
      });
      const request = await isolated.next();
      assert.ok(request.type === 'request');
      assert.equal(request.method, 'PUT');
      assert.equal(request.headers['content-type'], 'application/json');
      assert.equal(new TextDecoder().decode(request.body!), text);
      isolated.reply({ type: 'whole', id: request.id, status: 200, headers: {}, bytes: new ArrayBuffer(0) });
      await response;
    }
  });

  test('resolves at the head with a real Response whose body streams the chunks in order', async () => {
    const { response, id } = await start();
    isolated.reply(head(id));
    const res = await response;
    assert.ok(res instanceof Response);
    assert.equal(res.status, 200);
    assert.equal(res.url, VERSIONS);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const reader = res.body!.getReader();
    isolated.reply(...textChunk(id, '{"versions":'));
    assert.equal(new TextDecoder().decode((await reader.read()).value), '{"versions":');
    isolated.reply(...textChunk(id, '["v1.11"]}'));
    isolated.reply({ type: 'end', id });
    assert.equal(new TextDecoder().decode((await reader.read()).value), '["v1.11"]}');
    assert.equal((await reader.read()).done, true);
  });

  test('reads a whole streamed body with json()', async () => {
    const { response, id } = await start();
    isolated.reply(head(id));
    for (const part of ['{"a"', ':[1,', '2]}']) isolated.reply(...textChunk(id, part));
    isolated.reply({ type: 'end', id });
    assert.deepEqual(await (await response).json(), { a: [1, 2] });
  });

  test('a response in one message (head, body and end) reads as any other', async () => {
    const { response, id } = await start();
    const bytes = new TextEncoder().encode('{"versions":["v1.11"]}').buffer;
    isolated.reply({ ...head(id), type: 'whole', bytes });
    const res = await response;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), { versions: ['v1.11'] });
  });

  test('aborting the signal mid-body errors the body with the abort reason and tells the isolated script', async () => {
    const controller = new AbortController();
    const { response, id } = await start(VERSIONS, { signal: controller.signal });
    isolated.reply(head(id));
    isolated.reply(...textChunk(id, 'part'));
    const res = await response;
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await assert.rejects(reader.read(), { name: 'AbortError' });
    assert.deepEqual(await isolated.next(), { type: 'abort', id });
  });

  test('aborting before the head rejects the fetch as fetch does', async () => {
    const controller = new AbortController();
    const { response, id } = await start(VERSIONS, { signal: controller.signal });
    controller.abort();
    await assert.rejects(response, { name: 'AbortError' });
    assert.deepEqual(await isolated.next(), { type: 'abort', id });
  });

  test('cancelling the body tells the isolated script to stop', async () => {
    const { response, id } = await start();
    isolated.reply(head(id));
    await (await response).body!.cancel();
    assert.deepEqual(await isolated.next(), { type: 'abort', id });
  });

  test('a failure after the head errors the body with a TypeError; before it, fetch rejects with one', async () => {
    const midway = await start();
    isolated.reply(head(midway.id));
    isolated.reply(...textChunk(midway.id, '{"trunc'));
    isolated.reply({ type: 'failed', id: midway.id, reason: 'the extension stopped while answering' });
    await assert.rejects((await midway.response).text(), TypeError);

    const early = await start();
    isolated.reply({ type: 'failed', id: early.id, reason: 'extension unavailable' });
    await assert.rejects(early.response, TypeError);
  });

  test('null-body statuses get a null body', async () => {
    for (const status of [204, 205, 304]) {
      const { response, id } = await start();
      isolated.reply(head(id, status));
      isolated.reply({ type: 'end', id });
      const res = await response;
      assert.equal(res.status, status);
      assert.equal(res.body, null);
    }
  });

  test('ignores malformed messages and unknown ids', async () => {
    const { response, id } = await start();
    for (const junk of [
      null,
      'head',
      { type: 'head', id, status: 'ok', headers: {} },
      { type: 'chunk', id, bytes: 'not an ArrayBuffer' },
      { type: 'response', id, status: 200, headers: {}, body: 'old' },
      head(id + 100),
      { type: 'end', id },
    ])
      isolated.reply(junk);
    isolated.reply(head(id));
    isolated.reply(...textChunk(id, 'ok'));
    isolated.reply({ type: 'end', id });
    assert.equal(await (await response).text(), 'ok');
  });

  test('leaves every other URL to the native fetch', async () => {
    const res = await shimFetch('/client.js');
    assert.equal(await res.text(), 'from the network');
    assert.deepEqual(page.nativeFetches, ['/client.js']);
  });
});
