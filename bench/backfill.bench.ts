// History for a server that joins a room of 10,000 events, Node↔Node over
// libp2p websockets on 127.0.0.1 through a relay (in-memory SQLite stores):
//  - the joiner's first page of history: from the join request until
//    /messages (dir=b, a page of 21: the join and the 20 messages before it)
//    shows 20 messages from before the join (join, then one backfill page
//    from the other peer);
//  - backfill throughput: paging back with /messages (limit 1,000) to the
//    room's creation, events placed per second, each fetched and fully
//    checked (signatures, hashes, auth against auth events and the state
//    before it) and stored.
// Run alone: `node bench/backfill.bench.ts`.
import { joinToFirstPage, startLibp2pPair } from './libp2p-pair.ts';
import { measured, quick } from './table.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
/** The room's size (P2PM_BACKFILL_EVENTS overrides it for a quicker run). */
const EVENTS = Number(process.env.P2PM_BACKFILL_EVENTS ?? (quick ? 2_000 : 10_000));

export default async function backfillBench(): Promise<Record<string, number>> {
  const { a, b, close } = await startLibp2pPair(['ha', 'hb']);
  try {
    const alice = await a.register('alice');
    const bob = await b.register('bob');
    const roomId = (await a.request('POST', `${V3}/createRoom`, { preset: 'public_chat' }, alice.accessToken))
      .body.room_id;
    for (let i = 0; i < EVENTS; i++) {
      const path = `${V3}/rooms/${enc(roomId)}/send/m.room.message/b${i}`;
      const res = await a.request(
        'PUT',
        path,
        { msgtype: 'm.text', body: `message ${i}` },
        alice.accessToken,
      );
      if (res.status !== 200) throw new Error(`send failed: ${JSON.stringify(res.body)}`);
    }

    // The first page of history.
    const first = await joinToFirstPage(b, bob, roomId, a.serverName);

    // Backfill to the creation.
    const t1 = performance.now();
    let placed = first.page.chunk.length;
    let from: string | undefined = first.page.end;
    while (from !== undefined) {
      const res = await b.request(
        'GET',
        `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=1000&from=${enc(from)}`,
        undefined,
        bob.accessToken,
      );
      placed += res.body.chunk.length;
      from = res.body.end;
    }
    const seconds = (performance.now() - t1) / 1000;
    if (placed < EVENTS) throw new Error(`only ${placed} events paged back`);
    measured('backfill.first-page', first.firstPageMs);
    measured('backfill.rate', placed / seconds);
    return {
      [`joiner: join to the first page of history, ${EVENTS}-event room (ms)`]: first.firstPageMs,
      'backfill: events placed per second (to the creation)': placed / seconds,
    };
  } finally {
    await close();
  }
}

if (import.meta.main) console.log(await backfillBench());
