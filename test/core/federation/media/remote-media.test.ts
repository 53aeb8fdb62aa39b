// Remote media from a hostile origin: a peer serving other bytes than it
// announced, a transfer cut short, a file over our upload limit, answers that
// are no multipart; each gives bob a clear Matrix error and leaves nothing
// cached (the next request fetches again, and gets the honest file). Also:
// requests for one file at once share one fetch, and an origin that never
// answers is 504. Over the in-memory network, against a real homeserver.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { announce, sha256Hex } from '../../../../src/core/federation/media/integrity.ts';
import { encodeMediaMultipart } from '../../../../src/core/federation/media/multipart.ts';
import { streamOf } from '../../../../src/core/federation/streamed-body.ts';
import { TOUCH_INTERVAL_MS } from '../../../../src/core/media/remote-cache.ts';
import { systemClock } from '../../../../src/platform/system-clock.ts';
import {
  type FederationHandler,
  StreamedBody,
  type StreamingResponse,
} from '../../../../src/core/federation/transport.ts';
import {
  type Account,
  type Cluster,
  type ClusterNode,
  createFederatedCluster,
} from '../../../support/federated-cluster.ts';
import { type RoguePeer, roguePeer } from '../rogue-peer.ts';

const BOUNDARY = '0123456789abcdef0123';
const FILE = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 13) & 0xff);

/** The honest answer for `content`, or one whose metadata announces `announced` instead. */
function multipart(content: Uint8Array, announced: Uint8Array = content): StreamingResponse {
  const { contentType, body } = encodeMediaMultipart(
    BOUNDARY,
    announce(announced.length, sha256Hex(announced)),
    { contentType: 'application/octet-stream' },
    streamOf(content),
  );
  return { status: 200, body, contentType };
}

type Behaviour = () => StreamingResponse | Promise<StreamingResponse>;

/** Server B and an origin whose answer to each media id the test sets; `hits` counts the origin's answers. */
function originAndB(options: Parameters<typeof createFederatedCluster>[1] = {}) {
  const env = {
    cluster: undefined as unknown as Cluster,
    b: undefined as unknown as ClusterNode,
    bob: undefined as unknown as Account,
    rogue: undefined as unknown as RoguePeer,
    behaviours: new Map<string, Behaviour>(),
    hits: new Map<string, number>(),
    download: (mediaId: string, query = '') =>
      env.b.request(
        'GET',
        `/_matrix/client/v1/media/download/${env.rogue.serverName}/${mediaId}${query}`,
        undefined,
        env.bob.accessToken,
      ),
  };
  before(async () => {
    env.cluster = await createFederatedCluster(['b'], options);
    env.b = env.cluster.node('b');
    env.bob = await env.b.register('bob');
    env.rogue = await roguePeer(env.cluster);
    const handler: FederationHandler = async (_from, req) => {
      const mediaId = req.path.split('/').pop()!;
      env.hits.set(mediaId, (env.hits.get(mediaId) ?? 0) + 1);
      const behaviour = env.behaviours.get(mediaId);
      return behaviour
        ? behaviour()
        : { status: 404, body: { errcode: 'M_NOT_FOUND', error: 'no such media' } };
    };
    env.rogue.serve(handler);
  });
  after(async () => {
    await env.rogue.transport.close();
    await env.cluster.close();
  });
  return env;
}

describe('remote media from a hostile origin', () => {
  const { behaviours, hits, download } = originAndB();

  /** The failure bob sees, then the honest file fetched afresh: nothing of the failure was kept. */
  async function failsThenRecovers(mediaId: string, behaviour: Behaviour, status: number, errcode: string) {
    behaviours.set(mediaId, behaviour);
    const failed = await download(mediaId);
    assert.equal(failed.status, status, JSON.stringify(failed.body));
    assert.equal(failed.body.errcode, errcode);
    assert.equal(typeof failed.body.error, 'string');
    behaviours.set(mediaId, () => multipart(FILE));
    const honest = await download(mediaId);
    assert.equal(honest.status, 200, JSON.stringify(honest.body));
    assert.equal(honest.body.length, FILE.length);
    assert.equal(hits.get(mediaId), 2, 'the failed transfer left nothing in the cache');
    assert.equal((await download(mediaId)).status, 200);
    assert.equal(hits.get(mediaId), 2, 'the honest file is served from the cache');
  }

  test('other bytes than announced (same length) are 502 M_UNKNOWN', async () => {
    const other = FILE.map((byte, i) => (i === 100_000 ? byte ^ 1 : byte));
    await failsThenRecovers('lyingAAAAAAAAAAAAAAAAAAA', () => multipart(other, FILE), 502, 'M_UNKNOWN');
  });

  test('a transfer cut short is 502 M_UNKNOWN', async () => {
    const cut = (): StreamingResponse => {
      const whole = multipart(FILE);
      const body = whole.body as StreamedBody;
      const short = (async function* () {
        let sent = 0;
        for await (const chunk of body.chunks) {
          if (sent + chunk.length > 150_000) return;
          sent += chunk.length;
          yield chunk;
        }
      })();
      return { ...whole, body: new StreamedBody(body.length, short) };
    };
    await failsThenRecovers('truncatedAAAAAAAAAAAAAAA', cut, 502, 'M_UNKNOWN');
  });

  test('content shorter than the metadata announces, in a whole answer, is 502 M_UNKNOWN', async () => {
    await failsThenRecovers(
      'shortAAAAAAAAAAAAAAAAAAA',
      () => multipart(FILE.subarray(0, 1000), FILE),
      502,
      'M_UNKNOWN',
    );
  });

  test('a file over our upload limit is refused from its head: 502 M_TOO_LARGE', async () => {
    let read = 0;
    const huge = (): StreamingResponse => {
      const chunks = (async function* () {
        for (;;) {
          read += 65_536;
          yield new Uint8Array(65_536);
        }
      })();
      return {
        status: 200,
        body: new StreamedBody(60 * 1024 * 1024, chunks),
        contentType: `multipart/mixed; boundary=${BOUNDARY}`,
      };
    };
    await failsThenRecovers('hugeAAAAAAAAAAAAAAAAAAAA', huge, 502, 'M_TOO_LARGE');
    assert.equal(read, 0, 'none of the body was read');
  });

  test('answers that are no two-part multipart are 502 M_UNKNOWN', async () => {
    const cases: Record<string, Behaviour> = {
      garbageAAAAAAAAAAAAAAAAA: () => ({
        status: 200,
        body: new TextEncoder().encode('not multipart at all'),
        contentType: `multipart/mixed; boundary=${BOUNDARY}`,
      }),
      notMultipartAAAAAAAAAAAA: () => ({ status: 200, body: FILE, contentType: 'application/octet-stream' }),
      jsonAAAAAAAAAAAAAAAAAAAA: () => ({ status: 200, body: { content: 'json' } }),
      noHashAAAAAAAAAAAAAAAAAA: () => {
        const { contentType, body } = encodeMediaMultipart(
          BOUNDARY,
          {},
          { contentType: 'text/plain' },
          streamOf(FILE),
        );
        return { status: 200, body, contentType };
      },
      serverErrorAAAAAAAAAAAAA: () => ({ status: 500, body: { errcode: 'M_UNKNOWN', error: 'oops' } }),
    };
    for (const [mediaId, behaviour] of Object.entries(cases))
      await failsThenRecovers(mediaId, behaviour, 502, 'M_UNKNOWN');
  });

  test('media the origin does not have is 404 M_NOT_FOUND', async () => {
    const res = await download('missingAAAAAAAAAAAAAAAAA');
    assert.equal(res.status, 404);
    assert.equal(res.body.errcode, 'M_NOT_FOUND');
  });

  test('an origin that does not answer in time is 504 M_UNKNOWN', async () => {
    behaviours.set('silentAAAAAAAAAAAAAAAAAA', () => new Promise<StreamingResponse>(() => {}));
    const res = await download('silentAAAAAAAAAAAAAAAAAA', '?timeout_ms=200');
    assert.equal(res.status, 504);
    assert.equal(res.body.errcode, 'M_UNKNOWN');
  });

  test('requests for one file at once share one fetch', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    behaviours.set('sharedAAAAAAAAAAAAAAAAAA', async () => {
      await gate;
      return multipart(FILE);
    });
    const answers = Promise.all(Array.from({ length: 4 }, () => download('sharedAAAAAAAAAAAAAAAAAA')));
    release();
    for (const res of await answers) assert.equal(res.body.length, FILE.length);
    assert.equal(hits.get('sharedAAAAAAAAAAAAAAAAAA'), 1);
  });
});

describe('the remote media cache is bounded: the least recently used files go', () => {
  let offset = 0;
  const clock = { ...systemClock, now: () => systemClock.now() + offset };
  const { behaviours, hits, download } = originAndB({
    clock,
    media: { maxRemoteCacheBytes: 2.5 * FILE.length },
  });
  const ids = ['firstAAAAAAAAAAAAAAAAAAA', 'secondAAAAAAAAAAAAAAAAAA', 'thirdAAAAAAAAAAAAAAAAAAA'] as const;

  test('a third file evicts the one not served for longest; the others stay', async () => {
    for (const id of ids) behaviours.set(id, () => multipart(FILE));
    const [first, second, third] = ids;
    assert.equal((await download(first)).status, 200);
    assert.equal((await download(second)).status, 200);
    offset += 2 * TOUCH_INTERVAL_MS;
    assert.equal((await download(first)).status, 200, 'served again from the cache: its use is recorded');
    assert.equal((await download(third)).status, 200);
    assert.deepEqual([hits.get(first), hits.get(second), hits.get(third)], [1, 1, 1]);
    assert.equal((await download(first)).status, 200);
    assert.equal((await download(third)).status, 200);
    assert.deepEqual([hits.get(first), hits.get(third)], [1, 1], 'the recently used stayed');
    assert.equal((await download(second)).status, 200);
    assert.equal(hits.get(second), 2, 'the least recently used was evicted and is fetched again');
  });
});
