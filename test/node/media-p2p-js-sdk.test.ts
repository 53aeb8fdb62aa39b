// Remote media over P2P with the client Element is built on: matrix-js-sdk on
// two `p2p-matrix serve` peers federating over real libp2p through a relay.
// An image alice uploads on A is downloaded through B by bob (authenticated
// and legacy endpoints), byte-identical, with a 96×96 thumbnail; B fetched it
// from A over the federation media API (multipart, size and SHA-256 checked)
// into its cache. Then A stops and B still serves the file and thumbnails.
//
// Every wait is bounded by a hang guard; none of them is a timing assertion.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MatrixClient } from 'matrix-js-sdk';
import {
  type RelayProcess,
  type ServeProcess,
  startRelayProcess,
  startServe,
} from '../../scripts/harness/serve-process.ts';
import { startedClient } from '../support/js-sdk.ts';
import { gradientImage, imageSize } from '../support/test-images.ts';

describe('remote media between two serve peers (matrix-js-sdk)', () => {
  const dirs: string[] = [];
  let relay: RelayProcess;
  let a: ServeProcess;
  let b: ServeProcess;
  let alice: MatrixClient;
  let bob: MatrixClient;
  let image: Uint8Array;
  let mxc: string;

  const servePeer = () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2pm-media-p2p-'));
    dirs.push(dir);
    return startServe(['--port', '0', '--data', dir, '--relay', relay.multiaddrs[0]!, '--max-upload', '8']);
  };

  /** GET through B with bob's token (or none); the body as bytes. */
  const get = async (url: string, auth = true) => {
    const headers = auth ? { authorization: `Bearer ${bob.getAccessToken()}` } : undefined;
    const res = await fetch(url, headers ? { headers } : {});
    return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
  };
  /** B's URL for `uri`, as the sdk makes it. */
  const urlOf = (uri: string, authenticated: boolean, width?: number, height?: number, method?: string) => {
    const url = bob.mxcUrlToHttp(uri, width, height, method, false, true, authenticated);
    assert.ok(url);
    return url;
  };

  before(async () => {
    relay = await startRelayProcess();
    [a, b] = await Promise.all([servePeer(), servePeer()]);
    [alice, bob] = await Promise.all([startedClient(a.baseUrl, 'alice'), startedClient(b.baseUrl, 'bob')]);
    image = await gradientImage(1200, 900);
  });

  after(async () => {
    alice?.stopClient();
    bob?.stopClient();
    await Promise.all([a?.stop(), b?.stop()]);
    await relay?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('alice uploads an image on A: its mxc URI names A', async () => {
    const res = await alice.uploadContent(Buffer.from(image), { type: 'image/jpeg', name: 'garden.jpg' });
    mxc = res.content_uri;
    assert.ok(mxc.startsWith(`mxc://${a.serverName}/`), mxc);
  });

  test('bob downloads it through B, byte-identical, from A over P2P', async () => {
    const res = await get(urlOf(mxc, true));
    assert.equal(res.status, 200);
    assert.deepEqual(res.bytes, image);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.equal(res.headers.get('content-disposition'), 'inline; filename="garden.jpg"');
    const legacy = await get(urlOf(mxc, false), false);
    assert.equal(legacy.status, 200);
    assert.deepEqual(legacy.bytes, image);
  });

  test('B makes a 96×96 thumbnail of it', async () => {
    const res = await get(urlOf(mxc, true, 96, 96, 'crop'));
    assert.equal(res.status, 200);
    assert.deepEqual(await imageSize(res.bytes), { width: 96, height: 96, format: 'jpeg' });
  });

  test('requests for one remote file at once all get it', async () => {
    const other = await gradientImage(640, 480, 'png');
    const uri = (await alice.uploadContent(Buffer.from(other), { type: 'image/png', name: 'o.png' }))
      .content_uri;
    const answers = await Promise.all(Array.from({ length: 5 }, () => get(urlOf(uri, true))));
    for (const res of answers) {
      assert.equal(res.status, 200);
      assert.deepEqual(res.bytes, other);
    }
  });

  test('media A does not have is 404 M_NOT_FOUND through B', async () => {
    const res = await get(urlOf(`mxc://${a.serverName}/AAAAAAAAAAAAAAAAAAAAAAAA`, true));
    assert.equal(res.status, 404);
    assert.equal(JSON.parse(new TextDecoder().decode(res.bytes)).errcode, 'M_NOT_FOUND');
  });

  test('A stops: B still serves the file and its thumbnails from its cache', async () => {
    await a.stop();
    const res = await get(urlOf(mxc, true));
    assert.equal(res.status, 200);
    assert.deepEqual(res.bytes, image);
    const thumb = await get(urlOf(mxc, true, 96, 96, 'crop'));
    assert.deepEqual(await imageSize(thumb.bytes), { width: 96, height: 96, format: 'jpeg' });
    const scaled = await get(urlOf(mxc, true, 320, 240, 'scale'));
    assert.deepEqual(await imageSize(scaled.bytes), { width: 320, height: 240, format: 'jpeg' });
    const missing = await get(urlOf(`mxc://${a.serverName}/BBBBBBBBBBBBBBBBBBBBBBBB`, true));
    assert.equal(missing.status, 502);
    assert.equal(JSON.parse(new TextDecoder().decode(missing.bytes)).errcode, 'M_UNKNOWN');
  });
});
