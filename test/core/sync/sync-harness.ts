// A whole homeserver (createHomeserver) over a fake-indexeddb database that
// can be closed and opened again (tokens must survive that), driven through
// handle() with a fake clock, plus the few client calls the sync tests make.
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { createHomeserver, type Homeserver } from '../../../src/core/homeserver.ts';
import type { HsRequest } from '../../../src/core/http/types.ts';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';
import type { Store } from '../../../src/core/storage/port.ts';
import { SCHEMA } from '../../../src/core/schema.ts';
import { RECEIPTS } from '../../../src/core/sync/tables.ts';
import { FakeClock } from './fake-clock.ts';
import { homeserverDeps } from '../../support/homeserver-deps.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field, as a client would.
export type Json = any;

export interface User {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

export interface Reply {
  readonly status: number;
  readonly body: Json;
}

let databases = 0;

const enc = encodeURIComponent;

export class SyncHarness {
  readonly clock = new FakeClock();
  private readonly indexedDB = new IDBFactory();
  private readonly dbName = `sync-test-${++databases}`;
  private store!: Store;
  hs!: Homeserver;
  /** Read transactions of /sync computations (those over the receipts table) so far. */
  syncReads = 0;
  private txn = 0;

  static async start(): Promise<SyncHarness> {
    const h = new SyncHarness();
    await h.open();
    return h;
  }

  /** Opens the database (again) and starts a homeserver over it. */
  async open(): Promise<void> {
    this.store = await openDexieStore(this.dbName, SCHEMA, { indexedDB: this.indexedDB, IDBKeyRange });
    const store = this.store;
    const counted: Store = {
      read: (tables, fn) => {
        if (tables.includes(RECEIPTS)) this.syncReads++;
        return store.read(tables, fn);
      },
      write: (tables, fn) => store.write(tables, fn),
      close: () => store.close(),
    };
    this.hs = createHomeserver({ ...(await homeserverDeps(counted)), clock: this.clock });
  }

  async close(): Promise<void> {
    await this.hs.close();
    await this.store.close();
  }

  /** A restart: the homeserver and the store closed, then opened again on the same database. */
  async restart(): Promise<void> {
    await this.close();
    await this.open();
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    user?: User,
    closed?: Promise<void>,
  ): Promise<Reply> {
    const [pathname = '', search = ''] = path.split('?', 2);
    const req: HsRequest = {
      method,
      path: pathname,
      query: Object.fromEntries(new URLSearchParams(search)),
      headers: user ? { authorization: `Bearer ${user.accessToken}` } : {},
      ...(body === undefined ? {} : { body: new TextEncoder().encode(JSON.stringify(body)) }),
      ...(closed ? { closed } : {}),
    };
    const res = await this.hs.handle(req);
    return { status: res.status, body: JSON.parse(JSON.stringify(res.body)) };
  }

  /** Asserts 200 and returns the body. */
  async ok(method: string, path: string, body?: unknown, user?: User): Promise<Json> {
    const res = await this.request(method, path, body, user);
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async register(username: string): Promise<User> {
    const password = 'correct horse battery staple';
    const first = await this.request('POST', '/_matrix/client/v3/register', { username, password });
    const auth = { type: 'm.login.dummy', session: first.body.session };
    const body = await this.ok('POST', '/_matrix/client/v3/register', { username, password, auth });
    return { userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id };
  }

  /** Registers each name, in order. */
  async registerAll<const N extends readonly string[]>(...usernames: N): Promise<{ [K in keyof N]: User }> {
    const users: User[] = [];
    for (const name of usernames) users.push(await this.register(name));
    return users as { [K in keyof N]: User };
  }

  /** Registers alice and bob; bob joins the room alice creates and invites him to. */
  async sharedRoom(): Promise<{ alice: User; bob: User; roomId: string }> {
    const [alice, bob] = await this.registerAll('alice', 'bob');
    const roomId = await this.createRoom(alice, { invite: [bob.userId] });
    await this.join(bob, roomId);
    return { alice, bob, roomId };
  }

  async createRoom(user: User, body: Record<string, unknown> = {}): Promise<string> {
    return (await this.ok('POST', '/_matrix/client/v3/createRoom', body, user)).room_id;
  }

  async join(user: User, roomId: string): Promise<void> {
    await this.ok('POST', `/_matrix/client/v3/join/${enc(roomId)}`, {}, user);
  }

  async leave(user: User, roomId: string): Promise<void> {
    await this.ok('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {}, user);
  }

  async send(
    user: User,
    roomId: string,
    content: Record<string, unknown>,
    type = 'm.room.message',
  ): Promise<string> {
    const path = `/_matrix/client/v3/rooms/${enc(roomId)}/send/${enc(type)}/t${++this.txn}`;
    return (await this.ok('PUT', path, content, user)).event_id;
  }

  async text(user: User, roomId: string, body: string): Promise<string> {
    return this.send(user, roomId, { msgtype: 'm.text', body });
  }

  /** GET /sync with the given query (timeout 0 unless given), asserting 200. */
  async sync(
    user: User,
    query: Record<string, string | number | boolean> = {},
    closed?: Promise<void>,
  ): Promise<Json> {
    const params = new URLSearchParams({ timeout: '0' });
    for (const [k, v] of Object.entries(query)) params.set(k, typeof v === 'string' ? v : JSON.stringify(v));
    const res = await this.request('GET', `/_matrix/client/v3/sync?${params}`, undefined, user, closed);
    if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Resolves once `n` long-polls are waiting for news. */
  async waiters(n: number): Promise<void> {
    while (this.hs.notifier.waiting < n) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Bodies of the m.room.message events of a timeline. */
export function texts(room: Json): string[] {
  return room.timeline.events
    .filter((e: Json) => e.type === 'm.room.message')
    .map((e: Json) => e.content.body);
}

export const roomPath = (roomId: string, rest: string) => `/_matrix/client/v3/rooms/${enc(roomId)}/${rest}`;
