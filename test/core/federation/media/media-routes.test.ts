// The federation media endpoints as another server calls them: a real
// homeserver A with an uploaded image, asked over the in-memory network for
// the file and for a 96×96 thumbnail; both come as two-part multipart with
// the size and SHA-256 of exactly the bytes sent. Bad parameters are the
// spec's 400s, unknown media 404.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { announced, sha256Hex } from '../../../../src/core/federation/media/integrity.ts';
import { readMediaMultipart } from '../../../../src/core/federation/media/multipart.ts';
import { StreamedBody } from '../../../../src/core/federation/transport.ts';
import { type Cluster, createFederatedCluster } from '../../../support/federated-cluster.ts';
import { gradientImage, imageSize } from '../../../support/test-images.ts';

describe('federation media endpoints', () => {
  let cluster: Cluster;
  let image: Uint8Array;
  let mediaId: string;

  before(async () => {
    cluster = await createFederatedCluster(['a', 'b']);
    const a = cluster.node('a');
    const alice = await a.register('alice');
    image = await gradientImage(640, 480);
    const res = await a.homeserver.handle({
      method: 'POST',
      path: '/_matrix/media/v3/upload',
      query: { filename: 'garden.jpg' },
      headers: { authorization: `Bearer ${alice.accessToken}`, 'content-type': 'image/jpeg' },
      body: image,
    });
    mediaId = String((res.body as { content_uri: string }).content_uri)
      .split('/')
      .pop()!;
  });

  after(async () => {
    await cluster.close();
  });

  /** B asks A for `path`; the multipart answer read whole, its metadata checked against the bytes. */
  async function ask(path: string, query: Record<string, string> = {}) {
    const b = cluster.node('b');
    const res = await b.transport.requestStream(
      cluster.node('a').serverName,
      { method: 'GET', path, query, origin: b.serverName },
      { maxBodyBytes: 10 * 1024 * 1024 },
    );
    if (!(res.body instanceof StreamedBody))
      return { status: res.status, json: res.body as { errcode?: string } };
    const { multipart } = await readMediaMultipart(res.contentType, res.body, (m) => announced(m)?.size);
    const parts: Uint8Array[] = [];
    for await (const part of multipart.content) parts.push(part);
    const bytes = new Uint8Array(Buffer.concat(parts));
    assert.deepEqual(announced(multipart.metadata), { size: bytes.length, sha256: sha256Hex(bytes) });
    return { status: res.status, headers: multipart.headers, bytes };
  }

  test('download: the file itself, with its type and name', async () => {
    const res = await ask(`/_matrix/federation/v1/media/download/${mediaId}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.bytes, image);
    assert.equal(res.headers?.['content-type'], 'image/jpeg');
    assert.equal(res.headers?.['content-disposition'], 'inline; filename="garden.jpg"');
  });

  test('thumbnail: 96×96 cropped', async () => {
    const res = await ask(`/_matrix/federation/v1/media/thumbnail/${mediaId}`, {
      width: '96',
      height: '96',
      method: 'crop',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await imageSize(res.bytes!), { width: 96, height: 96, format: 'jpeg' });
  });

  test('missing or bad thumbnail parameters are 400, unknown media 404', async () => {
    const path = `/_matrix/federation/v1/media/thumbnail/${mediaId}`;
    assert.equal((await ask(path, { height: '96' })).json?.errcode, 'M_MISSING_PARAM');
    assert.equal((await ask(path, { width: 'x', height: '96' })).json?.errcode, 'M_INVALID_PARAM');
    assert.equal(
      (await ask(path, { width: '9', height: '9', method: 'zoom' })).json?.errcode,
      'M_INVALID_PARAM',
    );
    const missing = await ask('/_matrix/federation/v1/media/download/AAAAAAAAAAAAAAAAAAAAAAAA');
    assert.equal(missing.status, 404);
    assert.equal(missing.json?.errcode, 'M_NOT_FOUND');
  });
});
