// The homeserver the Node benches measure: over a store they opened, with the
// platform's clock, randomness and keys, open registration and cheap password
// hashing (a bench registers users, it does not measure PBKDF2); a client
// that calls it through handle() without HTTP.
import { createHomeserver, type Homeserver, type HomeserverDeps } from '../src/core/homeserver.ts';
import type { Store } from '../src/core/storage/port.ts';
import { homeserverDeps } from '../test/support/homeserver-deps.ts';

export async function benchHomeserver(store: Store, media?: HomeserverDeps['media']): Promise<Homeserver> {
  const deps = await homeserverDeps(store);
  return createHomeserver(media ? { ...deps, media } : deps);
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field.
export type Json = any;

export interface User {
  readonly userId: string;
  readonly token: string;
}

export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

export const round = (ms: number) => Math.round(ms * 100) / 100;

export class Client {
  private readonly hs: Homeserver;
  private txn = 0;

  constructor(hs: Homeserver) {
    this.hs = hs;
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
    user?: User,
    query: Record<string, string> = {},
  ): Promise<Json> {
    const res = await this.hs.handle({
      method,
      path,
      query,
      headers: user ? { authorization: `Bearer ${user.token}` } : {},
      ...(body === undefined ? {} : { body: new TextEncoder().encode(JSON.stringify(body)) }),
    });
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async register(username: string): Promise<User> {
    const body = { username, password: 'bench password' };
    const first = await this.hs.handle({
      method: 'POST',
      path: '/_matrix/client/v3/register',
      query: {},
      headers: {},
      body: new TextEncoder().encode(JSON.stringify(body)),
    });
    const session = (first.body as Json).session;
    const done = await this.call('POST', '/_matrix/client/v3/register', {
      ...body,
      auth: { type: 'm.login.dummy', session },
    });
    return { userId: done.user_id, token: done.access_token };
  }

  send(user: User, roomId: string, text: string): Promise<Json> {
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${++this.txn}`;
    return this.call('PUT', path, { msgtype: 'm.text', body: text }, user);
  }

  sync(user: User, query: Record<string, string>): Promise<Json> {
    return this.call('GET', '/_matrix/client/v3/sync', undefined, user, query);
  }
}

/** Send by `alice` → `bob`'s waiting /sync returns it, `count` times: p50 and p95 in ms. */
export async function sendToSync(
  client: Client,
  hs: Homeserver,
  alice: User,
  bob: User,
  roomId: string,
  count: number,
) {
  let since = (await client.sync(bob, { timeout: '0' })).next_batch;
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const poll = client.sync(bob, { since, timeout: '30000' });
    while (hs.notifier.waiting === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const t0 = performance.now();
    await client.send(alice, roomId, `message ${i}`);
    const body = await poll;
    latencies.push(performance.now() - t0);
    if (!body.rooms.join[roomId]) throw new Error('bench: the sync did not carry the message');
    since = body.next_batch;
  }
  latencies.sort((a, b) => a - b);
  return { p50: round(quantile(latencies, 0.5)), p95: round(quantile(latencies, 0.95)) };
}
