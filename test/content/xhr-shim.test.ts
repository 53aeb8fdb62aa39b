// The MAIN-world XMLHttpRequest shim against a fake isolated script: a
// streamed body is gathered with a progress event per chunk and completes on
// its end; a failure midway is a network error.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import { installFakePage, textChunk } from './fake-page.ts';

const page = installFakePage();
const { openPageChannel } = await import('../../content/shim/page-channel.ts');
const { installXhrShim } = await import('../../content/shim/xhr-shim.ts');
installXhrShim(openPageChannel());
const isolated = page.isolated();

const VERSIONS = `${HOMESERVER_ORIGIN}/_matrix/client/versions`;

/** Opens and sends an XHR; records its events as `type` (progress with its byte count, readystatechange with the state). */
async function start(responseType: XMLHttpRequestResponseType = '') {
  const xhr = new window.XMLHttpRequest();
  const events: string[] = [];
  for (const type of ['readystatechange', 'progress', 'load', 'error', 'abort', 'loadend'])
    xhr.addEventListener(type, (event) => {
      if (type === 'readystatechange') events.push(`readystatechange ${xhr.readyState}`);
      else if (type === 'progress') events.push(`progress ${(event as ProgressEvent).loaded}`);
      else events.push(type);
    });
  const done = new Promise<void>((resolve) => xhr.addEventListener('loadend', () => resolve()));
  xhr.open('GET', VERSIONS);
  xhr.responseType = responseType;
  xhr.send();
  const request = await isolated.next();
  return { xhr, events, done, id: request.id };
}

const head = (id: number) => ({
  type: 'head',
  id,
  status: 200,
  headers: { 'content-type': 'application/json', 'content-length': '13' },
});

describe('the XMLHttpRequest shim', () => {
  after(() => page.close());

  test('gathers the chunks with a progress event for each, and completes on the end', async () => {
    const { xhr, events, done, id } = await start('json');
    isolated.reply(head(id));
    isolated.reply(...textChunk(id, '{"a":'));
    isolated.reply(...textChunk(id, '[1,2,3]}'));
    isolated.reply({ type: 'end', id });
    await done;
    assert.deepEqual(xhr.response, { a: [1, 2, 3] });
    assert.equal(xhr.status, 200);
    assert.equal(xhr.getResponseHeader('content-type'), 'application/json');
    assert.deepEqual(events, [
      'readystatechange 1',
      'readystatechange 2',
      'readystatechange 3',
      'progress 5',
      'readystatechange 3',
      'progress 13',
      'readystatechange 4',
      'load',
      'loadend',
    ]);
  });

  test('gives the bytes as an ArrayBuffer when asked to', async () => {
    const { xhr, done, id } = await start('arraybuffer');
    isolated.reply(head(id));
    isolated.reply({ type: 'chunk', id, bytes: new Uint8Array([0, 1]).buffer });
    isolated.reply({ type: 'chunk', id, bytes: new Uint8Array([2]).buffer });
    isolated.reply({ type: 'end', id });
    await done;
    assert.deepEqual([...new Uint8Array(xhr.response as ArrayBuffer)], [0, 1, 2]);
  });

  test('a failure after the head is a network error', async () => {
    const { xhr, events, done, id } = await start();
    isolated.reply(head(id));
    isolated.reply(...textChunk(id, '{"a":'));
    isolated.reply({ type: 'failed', id, reason: 'the extension stopped while answering' });
    await done;
    assert.equal(xhr.status, 0);
    assert.deepEqual(events.slice(-3), ['readystatechange 4', 'error', 'loadend']);
  });

  test('abort() in the middle of the body fires abort and tells the isolated script', async () => {
    const { xhr, events, done, id } = await start();
    isolated.reply(head(id));
    const progressed = new Promise((resolve) => xhr.addEventListener('progress', resolve, { once: true }));
    isolated.reply(...textChunk(id, '{"a":'));
    await progressed;
    xhr.abort();
    await done;
    assert.deepEqual(events.slice(-2), ['abort', 'loadend']);
    assert.deepEqual(await isolated.next(), { type: 'abort', id });
  });

  test('abort() when the head of a whole answer arrives ends it with abort, not load', async () => {
    const { xhr, events, done, id } = await start();
    xhr.addEventListener('readystatechange', () => {
      if (xhr.readyState === 2) xhr.abort();
    });
    const bytes = new TextEncoder().encode('{"a":1}').buffer;
    isolated.reply({ ...head(id), type: 'whole', bytes });
    await done;
    assert.equal(xhr.status, 0);
    assert.deepEqual(events, [
      'readystatechange 1',
      'readystatechange 2',
      'readystatechange 4',
      'abort',
      'loadend',
    ]);
  });

  test('opened again when the head of a whole answer arrives: the old request fires nothing more', async () => {
    const { xhr, events, id } = await start();
    const reopened = Promise.withResolvers<void>();
    xhr.addEventListener('readystatechange', function reopen() {
      if (xhr.readyState !== 2) return;
      xhr.removeEventListener('readystatechange', reopen);
      xhr.open('GET', VERSIONS);
      reopened.resolve();
    });
    const bytes = new TextEncoder().encode('{"a":1}').buffer;
    isolated.reply({ ...head(id), type: 'whole', bytes });
    // A whole body's events follow its head in the same task: by now they would have fired.
    await reopened.promise;
    assert.deepEqual(events, ['readystatechange 1', 'readystatechange 2', 'readystatechange 1']);
  });
});
