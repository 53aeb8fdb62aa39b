import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { SCHEMA } from '../src/core/schema.ts';
import { openSqliteStore } from '../src/node/storage/sqlite-store.ts';
import { benchHomeserver } from './bench-homeserver.ts';

const path = '/tmp/x/search.sqlite';
const fresh = !existsSync(path);
const store = await openSqliteStore(path, SCHEMA, { synchronous: 'normal' });
const hs = await benchHomeserver(store);
const word = (rank: number) => `w${rank.toString(36)}x`;
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function zipf(next: () => number) {
  const cumulative: number[] = [];
  let sum = 0;
  for (let r = 1; r <= 5000; r++) { sum += 1 / r; cumulative.push(sum); }
  return () => { const x = next() * sum; let lo = 0; let hi = cumulative.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cumulative[mid]! < x) lo = mid + 1; else hi = mid; } return lo + 1; };
}
async function call(method: string, p: string, body: unknown, token?: string) {
  return (await hs.handle({ method, path: p, query: {}, headers: token ? { authorization: `Bearer ${token}` } : {}, body: new TextEncoder().encode(JSON.stringify(body)) })) as { status: number; body: any };
}
let token: string;
if (fresh) {
  const first = await call('POST', '/_matrix/client/v3/register', { username: 'alice', password: 'p' });
  const done = await call('POST', '/_matrix/client/v3/register', { username: 'alice', password: 'p', auth: { type: 'm.login.dummy', session: first.body.session } });
  token = done.body.access_token;
  const rooms: string[] = [];
  for (let i = 0; i < 10; i++) rooms.push((await call('POST', '/_matrix/client/v3/createRoom', {}, token)).body.room_id);
  const next = random(17); const draw = zipf(next);
  for (let i = 0; i < 100_000; i++) {
    const words = Array.from({ length: 6 + Math.floor(next() * 9) }, () => word(draw()));
    const res = await call('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(rooms[i % 10]!)}/send/m.room.message/b${i}`, { msgtype: 'm.text', body: words.join(' ') }, token);
    if (res.status !== 200) throw new Error('send');
  }
  console.log('built');
} else {
  const login = await call('POST', '/_matrix/client/v3/login', { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' }, password: 'p' });
  token = login.body.access_token;
}
const next = random(99);
for (const order_by of ['rank', 'recent']) {
  for (const [name, term] of [['rare', () => word(2000 + Math.floor(next() * 3000))], ['middling', () => word(50 + Math.floor(next() * 200))], ['common', () => word(1 + Math.floor(next() * 5))], ['two', () => `${word(1 + Math.floor(next() * 50))} ${word(50 + Math.floor(next() * 500))}`]] as const) {
    const times: number[] = [];
    for (let q = 0; q < 15; q++) {
      const s0 = performance.now();
      const res = await call('POST', '/_matrix/client/v3/search', { search_categories: { room_events: { search_term: term(), order_by, event_context: { before_limit: 1, after_limit: 1, include_profile: true } } } }, token);
      times.push(performance.now() - s0);
      if (res.status !== 200) throw new Error('search');
    }
    times.sort((a, b) => a - b);
    console.log(order_by, name, 'p50', times[7]!.toFixed(1), 'max', times[14]!.toFixed(1));
  }
}
await hs.close(); await store.close();
