// History for a server that joins a room over federation (backfill): the
// joiner pages back to the room's creation, in order, without gaps; the
// backfilled past never shows in /sync as new; /context reaches it; history
// visibility and redactions hold for it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMemoryNetwork } from '../../../src/core/federation/memory-transport.ts';
import { BackfillTally } from '../../../src/core/federation/inbound/backfill.ts';
import { heldRoomVersion, roomTableNames } from '../../../src/core/rooms/federation-api.ts';
import { EVENTS } from '../../../src/core/rooms/tables.ts';
import { SCHEMA } from '../../../src/core/schema.ts';
import type { Store } from '../../../src/core/storage/port.ts';
import { openSqliteStore } from '../../../src/node/storage/sqlite-store.ts';
import type { FederationRequest, PeerTransport } from '../../../src/core/federation/transport.ts';
import { systemClock } from '../../../src/platform/system-clock.ts';
import {
  type Account,
  type Cluster,
  type ClusterNode,
  createFederatedCluster,
  eventually,
  type Json,
  type RunningNode,
  serverNameFor,
  startFederatedNode,
} from '../../support/federated-cluster.ts';
import { createRoom, join, putState, say, serverState, sync } from './room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

/** `inner`, with `before` awaited ahead of each request it sends (to record or hold it). */
function beforeRequests(
  inner: PeerTransport,
  before: (req: FederationRequest) => void | Promise<void>,
): PeerTransport {
  return {
    ...inner,
    serverName: inner.serverName,
    request: async (to, req, options) => {
      await before(req);
      return inner.request(to, req, options);
    },
    onRequest: (handler) => inner.onRequest(handler),
    peers: () => inner.peers(),
    onPeer: (listener) => inner.onPeer(listener),
    close: () => inner.close(),
    requestStream: (to, req, options) => inner.requestStream(to, req, options),
  };
}

/** Every event the user can page back to with /messages, oldest first, and the requests it took. */
async function pageBack(node: ClusterNode, who: Account, roomId: string, limit = 30) {
  const events: Json[] = [];
  let from: string | undefined;
  let pages = 0;
  for (;;) {
    const query = `dir=b&limit=${limit}${from ? `&from=${enc(from)}` : ''}`;
    const res = await node.request(
      'GET',
      `${V3}/rooms/${enc(roomId)}/messages?${query}`,
      undefined,
      who.accessToken,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    events.push(...res.body.chunk);
    pages += 1;
    if (res.body.end === undefined) break;
    from = res.body.end;
    assert.ok(pages < 1000, 'pagination ends');
  }
  return { events: events.reverse(), pages };
}

describe('backfill: history for a server that joins', () => {
  let cluster: Cluster;
  let a: ClusterNode;
  let b: ClusterNode;
  let alice: Account;
  let bob: Account;
  let roomId: string;
  const said: string[] = [];

  before(async () => {
    // Small pages, so that paging back takes several backfill rounds.
    cluster = await createFederatedCluster(['a', 'b'], {
      federation: { backfill: { pageSize: 25, maxEvents: 100, maxRequests: 10 } },
    });
    [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    alice = await a.register('alice');
    bob = await b.register('bob');
    roomId = await createRoom(a, alice, { preset: 'public_chat', name: 'Old times' });
    for (let i = 0; i < 120; i++) {
      said.push(`before ${i}`);
      await say(a, alice, roomId, `before ${i}`);
      if (i === 60) await putState(a, alice, roomId, 'm.room.topic', { topic: 'halfway' });
    }
  });
  after(() => cluster.close());

  test('the joiner pages back to the room’s creation, in order, without gaps, as the creator sees it', async () => {
    const joined = await join(b, bob, roomId, [a.serverName]);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const seen = await pageBack(b, bob, roomId);
    const theirs = await pageBack(a, alice, roomId);
    assert.equal(seen.events[0].type, 'm.room.create');
    assert.deepEqual(
      seen.events.map((e: Json) => e.event_id),
      theirs.events.map((e: Json) => e.event_id),
    );
    assert.deepEqual(
      seen.events.filter((e: Json) => e.type === 'm.room.message').map((e: Json) => e.content.body),
      said,
    );
  });

  test('backfilled events never show in /sync as new; the initial sync holds the whole state', async () => {
    const first = await sync(b, bob);
    const room = first.rooms.join[roomId];
    const known = new Set(
      [...room.state.events, ...room.timeline.events]
        .filter((e: Json) => e.state_key !== undefined)
        .map((e: Json) => `${e.type}|${e.state_key}`),
    );
    for (const key of Object.keys(await serverState(b, roomId))) assert.ok(known.has(key), key);
    await say(a, alice, roomId, 'after the join');
    let next = first.next_batch;
    const news: Json[] = [];
    await eventually(async () => {
      const body = await sync(b, bob, next);
      news.push(...(body.rooms.join[roomId]?.timeline.events ?? []));
      next = body.next_batch;
      return news.some((e) => e.content?.body === 'after the join');
    }, 'the new message in /sync');
    assert.deepEqual(
      news.filter((e) => e.type === 'm.room.message').map((e) => e.content.body),
      ['after the join'],
    );
  });

  test('/context reaches a backfilled event, and the tokens it gives page on', async () => {
    const { events } = await pageBack(b, bob, roomId, 100);
    const target = events.find((e: Json) => e.content?.body === 'before 30');
    const res = await b.request(
      'GET',
      `${V3}/rooms/${enc(roomId)}/context/${enc(target.event_id)}?limit=4`,
      undefined,
      bob.accessToken,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      [...res.body.events_before].reverse().map((e: Json) => e.content.body),
      ['before 28', 'before 29'],
    );
    assert.deepEqual(
      res.body.events_after.map((e: Json) => e.content.body),
      ['before 31', 'before 32'],
    );
    const topic = res.body.state.find((e: Json) => e.type === 'm.room.topic');
    assert.equal(topic, undefined, 'the topic was set later');
    const older = await b.request(
      'GET',
      `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=2&from=${enc(res.body.start)}`,
      undefined,
      bob.accessToken,
    );
    assert.deepEqual(
      older.body.chunk.map((e: Json) => e.content.body),
      ['before 27', 'before 26'],
    );
  });

  test('a message redacted before the join arrives redacted; history_visibility joined hides the past', async () => {
    const carol = await b.register('carol');
    const secret = await createRoom(a, alice, { preset: 'public_chat' });
    const gone = await say(a, alice, secret, 'take this back');
    const redact = await a.request(
      'PUT',
      `${V3}/rooms/${enc(secret)}/redact/${enc(gone)}/r1`,
      { reason: 'oops' },
      alice.accessToken,
    );
    assert.equal(redact.status, 200);
    await say(a, alice, secret, 'kept');
    await putState(a, alice, secret, 'm.room.history_visibility', { history_visibility: 'joined' });
    await say(a, alice, secret, 'members only');
    assert.equal((await join(b, carol, secret, [a.serverName])).status, 200);
    const { events } = await pageBack(b, carol, secret);
    const bodies = events.filter((e: Json) => e.type === 'm.room.message').map((e: Json) => e.content.body);
    // Shared until the change: the joiner sees what came before it, never what came after it and before the join.
    assert.deepEqual(bodies, [undefined, 'kept']);
    const redacted = events.find((e: Json) => e.event_id === gone);
    assert.deepEqual(redacted.content, {});
    assert.equal(events[0].type, 'm.room.create');
  });

  test('timestamp_to_event on the joiner asks the room’s other servers and backfills up to their answer', async () => {
    const dave = await b.register('dave');
    const room = await createRoom(a, alice, { preset: 'public_chat' });
    const ids: string[] = [];
    for (let i = 0; i < 80; i++) ids.push(await say(a, alice, room, `old ${i}`));
    const ask = (node: ClusterNode, who: Account, ts: number, dir: string) =>
      node.request(
        'GET',
        `/_matrix/client/v1/rooms/${enc(room)}/timestamp_to_event?ts=${ts}&dir=${dir}`,
        undefined,
        who.accessToken,
      );
    const target = await a.request(
      'GET',
      `${V3}/rooms/${enc(room)}/event/${enc(ids[3]!)}`,
      undefined,
      alice.accessToken,
    );
    const ts = target.body.origin_server_ts;
    const theirs = await ask(a, alice, ts, 'f');
    assert.equal(theirs.status, 200);
    assert.equal((await join(b, dave, room, [a.serverName])).status, 200);
    const mine = await ask(b, dave, ts, 'f');
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    assert.deepEqual(mine.body, theirs.body);
    // The event named is in the joiner's timeline: /context works on it.
    const context = await b.request(
      'GET',
      `${V3}/rooms/${enc(room)}/context/${enc(mine.body.event_id)}?limit=2`,
      undefined,
      dave.accessToken,
    );
    assert.equal(context.status, 200, JSON.stringify(context.body));
    const before = await ask(b, dave, 1, 'b');
    assert.equal(before.status, 404);
  });
});

describe('backfill through a state the joiner mostly lacks', () => {
  const NOTES = 60;
  const fetched: string[] = [];
  let a: RunningNode;
  let b: RunningNode;
  let alice: Account;
  let bob: Account;
  let roomId: string;

  before(async () => {
    // B's requests to A are recorded: which endpoints its backfill used.
    const network = createMemoryNetwork(systemClock);
    const [nameA, nameB] = [await serverNameFor('sa'), await serverNameFor('sb')];
    const recorded = (inner: PeerTransport) =>
      beforeRequests(inner, (req) => {
        fetched.push(req.path.split('/').slice(0, 5).join('/'));
      });
    const options = { federation: { backfill: { pageSize: 25, maxEvents: 200, maxRequests: 20 } } };
    a = await startFederatedNode({ label: 'sa', transport: network.transport(nameA), options });
    b = await startFederatedNode({ label: 'sb', transport: recorded(network.transport(nameB)), options });
    alice = await a.register('alice');
    bob = await b.register('bob');
    roomId = await createRoom(a, alice, { preset: 'public_chat' });
    // State events no later state event cites (not in any auth chain), all
    // replaced before the join: the joiner holds none of the old ones.
    for (let i = 0; i < NOTES; i++)
      await putState(a, alice, roomId, 'org.example.note', { v: 'old' }, `k${i}`);
    for (let i = 0; i < 30; i++) await say(a, alice, roomId, `between ${i}`);
    for (let i = 0; i < NOTES; i++)
      await putState(a, alice, roomId, 'org.example.note', { v: 'new' }, `k${i}`);
    for (let i = 0; i < 60; i++) await say(a, alice, roomId, `after ${i}`);
  });
  after(async () => {
    for (const node of [a, b]) {
      await node.stop();
      await node.store.close();
    }
  });

  test('the old state comes whole from one /state, and the past shows it as the creator sees it', async () => {
    assert.equal((await join(b, bob, roomId, [a.serverName])).status, 200);
    const seen = await pageBack(b, bob, roomId);
    const theirs = await pageBack(a, alice, roomId);
    assert.deepEqual(
      seen.events.map((e: Json) => e.event_id),
      theirs.events.map((e: Json) => e.event_id),
    );
    const between = seen.events.find((e: Json) => e.content?.body === 'between 10');
    const notesAt = async (node: RunningNode, who: Account) => {
      const res = await node.request(
        'GET',
        `${V3}/rooms/${enc(roomId)}/context/${enc(between.event_id)}?limit=0`,
        undefined,
        who.accessToken,
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.state
        .filter((e: Json) => e.type === 'org.example.note')
        .map((e: Json) => `${e.state_key}=${e.content.v}`)
        .sort();
    };
    const notes = await notesAt(b, bob);
    assert.equal(notes.length, NOTES);
    assert.ok(notes.every((n: string) => n.endsWith('=old')));
    assert.deepEqual(notes, await notesAt(a, alice));
    assert.ok(fetched.includes('/_matrix/federation/v1/state'), 'one /state');
    const single = fetched.filter((p) => p === '/_matrix/federation/v1/event').length;
    assert.ok(single < NOTES, `${single} events fetched one by one`);
  });
});

describe('paging back while the backfill after a join runs', () => {
  test('the page waits for it and asks the peer for no history of its own when that one placed what it wants', async () => {
    const network = createMemoryNetwork(systemClock);
    const [nameA, nameB] = [await serverNameFor('wa'), await serverNameFor('wb')];
    // The join's GET /backfill is answered only once the page's read found the edge of B's history.
    const backfills: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const held = (inner: PeerTransport) =>
      beforeRequests(inner, async (req) => {
        if (!req.path.startsWith('/_matrix/federation/v1/backfill/')) return;
        backfills.push(req.path);
        await gate;
      });
    const storeB = await openSqliteStore(':memory:', SCHEMA);
    // While the join's backfill is held, the rooms' reads are the page's.
    let roomReadsDone = 0;
    const counted: Store = {
      ...storeB,
      read: async (tables, fn) => {
        const out = await storeB.read(tables, fn);
        if (tables.includes(EVENTS)) roomReadsDone++;
        return out;
      },
      write: (tables, fn) => storeB.write(tables, fn),
      close: () => storeB.close(),
    };
    const options = { federation: { backfill: { pageSize: 25, maxEvents: 200, maxRequests: 20 } } };
    const a = await startFederatedNode({ label: 'wa', transport: network.transport(nameA), options });
    const b = await startFederatedNode({
      label: 'wb',
      transport: held(network.transport(nameB)),
      options,
      store: counted,
    });
    try {
      const alice = await a.register('alice');
      const bob = await b.register('bob');
      const roomId = await createRoom(a, alice, { preset: 'public_chat' });
      for (let i = 0; i < 40; i++) await say(a, alice, roomId, `m ${i}`);
      assert.equal((await join(b, bob, roomId, [a.serverName])).status, 200);
      await eventually(async () => backfills.length === 1, 'the join’s backfill asks A');
      const readsBefore = roomReadsDone;
      const paging = b.request(
        'GET',
        `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=10`,
        undefined,
        bob.accessToken,
      );
      await eventually(async () => roomReadsDone > readsBefore, 'the page read B’s history');
      open();
      const page = await paging;
      assert.equal(page.status, 200);
      assert.equal(page.body.chunk.length, 10);
      assert.deepEqual(
        page.body.chunk.slice(1).map((e: Json) => e.content.body),
        ['m 39', 'm 38', 'm 37', 'm 36', 'm 35', 'm 34', 'm 33', 'm 32', 'm 31'],
      );
      assert.equal(backfills.length, 1);
    } finally {
      for (const node of [a, b]) {
        await node.stop();
        await node.store.close();
      }
    }
  });
});

describe('the first page after a join', () => {
  /**
   * B joins A's room of ten messages, its first `failing` GET /backfill
   * failing before they go, and waits, asking no /messages, until the
   * backfill after the join placed the last message before it. For each
   * GET /backfill B sent: whether B held the room then.
   */
  async function joinAndBackfill(label: string, failing: number): Promise<boolean[]> {
    const network = createMemoryNetwork(systemClock);
    const [nameA, nameB] = [await serverNameFor(`${label}a`), await serverNameFor(`${label}b`)];
    let b!: RunningNode;
    let roomId = '';
    const asked: boolean[] = [];
    const transport = beforeRequests(network.transport(nameB), async (req) => {
      if (!req.path.startsWith('/_matrix/federation/v1/backfill/')) return;
      asked.push(
        await b.store.read(roomTableNames, async (tx) => (await heldRoomVersion(tx, roomId)) !== undefined),
      );
      if (asked.length <= failing) throw new Error('the request did not reach the peer');
    });
    const a = await startFederatedNode({ label: `${label}a`, transport: network.transport(nameA) });
    b = await startFederatedNode({ label: `${label}b`, transport });
    try {
      const alice = await a.register('alice');
      const bob = await b.register('bob');
      roomId = await createRoom(a, alice, { preset: 'public_chat' });
      for (let i = 0; i < 10; i++) await say(a, alice, roomId, `m ${i}`);
      assert.equal((await join(b, bob, roomId, [a.serverName])).status, 200);
      await eventually(async () => {
        const rows = await b.store.read([EVENTS], (tx) =>
          tx.query<{ pdu: Json }>(EVENTS, {
            index: 'room_stream',
            range: { lower: [roomId, -Number.MAX_SAFE_INTEGER], upper: [roomId, Number.MAX_SAFE_INTEGER] },
          }),
        );
        return rows.some((row) => row.pdu.content?.body === 'm 9');
      }, 'the backfill after the join places the message before it');
      return asked;
    } finally {
      for (const node of [a, b]) {
        await node.stop();
        await node.store.close();
      }
    }
  }

  test('is asked of the server joined through before the joined room is written, once', async () => {
    assert.deepEqual(await joinAndBackfill('f', 0), [false]);
  });

  test('is asked again, once the room is written, when the request asked ahead failed', async () => {
    assert.deepEqual(await joinAndBackfill('g', 1), [false, true]);
  });
});

describe('the backfill tally', () => {
  test('a call counts what was placed since it began; a room is kept only while a call for it is under way', () => {
    const tally = new BackfillTally();
    const first = tally.begin('!r:x');
    first.add(25);
    const second = tally.begin('!r:x');
    first.add(25);
    assert.equal(first.placedSince(), 50);
    assert.equal(second.placedSince(), 25);
    first.end();
    first.end();
    assert.equal(tally.rooms, 1);
    second.end();
    assert.equal(tally.rooms, 0);
    assert.equal(tally.begin('!r:x').placedSince(), 0);
  });
});
