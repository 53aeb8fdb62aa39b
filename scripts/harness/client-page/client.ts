// The test page's Matrix client: the real matrix-js-sdk, bundled for the
// browser (bundle.ts), talking to the extension's homeserver URL through the
// content-script shim exactly as Element would. Tests drive it with
// page.evaluate through the API installed on globalThis.p2pmClient.
import {
  ClientEvent,
  createClient,
  Direction,
  type MatrixClient,
  type MatrixEvent,
  type Room,
  RoomEvent,
  SyncState,
} from 'matrix-js-sdk';
import type { Logger } from 'matrix-js-sdk/lib/logger.js';

export interface Credentials {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

/** The DOM's XMLHttpRequest, as far as used here (this file is typechecked with Node's types, no DOM lib). */
declare const XMLHttpRequest: new () => {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(): void;
  getResponseHeader(name: string): string | null;
  responseType: string;
  readonly status: number;
  readonly response: unknown;
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onprogress: (() => void) | null;
};

const quiet: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  getChild: () => quiet,
};

const clients = new Map<string, MatrixClient>();
/** Message bodies each client received live, through /sync, per room. */
const synced = new Map<string, Map<string, string[]>>();
/** When each body arrived through /sync (ms since the epoch, sub-millisecond), for the bench. */
const arrivals = new Map<string, number>();
const wallClock = () => performance.timeOrigin + performance.now();

/**
 * While a bench traces: each homeserver request of the syncing clients, from
 * fetch called until its Response resolved (the head arrived through the
 * shim), as spans on the wall clock like the worker's (src/platform/trace.ts):
 * what the client library takes before and after, and what the page ↔ worker
 * hop takes.
 */
let pageSpans: { name: string; start: number; end: number }[] | undefined;

/** fetch through the shim, recorded in pageSpans while they are on. */
const tracedFetch: typeof fetch = async (input, init) => {
  if (!pageSpans) return globalThis.fetch(input, init);
  const start = wallClock();
  const response = await globalThis.fetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  pageSpans?.push({ name: `page ${init?.method ?? 'GET'} ${url.pathname}`, start, end: wallClock() });
  return response;
};

function client(name: string): MatrixClient {
  const found = clients.get(name);
  if (!found) throw new Error(`no client ${name}`);
  return found;
}

function bodyOf(event: MatrixEvent): string | undefined {
  return event.getType() === 'm.room.message' ? (event.getContent().body as string) : undefined;
}

/** until()'s pending looks. */
const watchers = new Set<() => void>();

/** Called whenever a client records what it received (synced, arrivals): until()'s pending looks run again. */
function received(): void {
  for (const look of [...watchers]) look();
}

/**
 * `check`'s first value other than undefined: asked now and again whenever a
 * client records something it received, not on a timer, so that a wait
 * started before a message is sent does nothing while the message is on its
 * way (a bench times that way) and answers as it arrives. A check that
 * throws rejects with its error; the hang guard fails the wait after
 * `hangGuardMs`.
 */
function until<T>(check: () => T | undefined, what: string, hangGuardMs = 60_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      watchers.delete(look);
      clearTimeout(guard);
    };
    const look = () => {
      let value: T | undefined;
      try {
        value = check();
      } catch (err) {
        // Not thrown into the client's event listener that called received(): the caller sees it.
        done();
        reject(err);
        return;
      }
      if (value === undefined) return;
      done();
      resolve(value);
    };
    const guard = setTimeout(() => {
      done();
      reject(new Error(`hang guard: ${what}`));
    }, hangGuardMs);
    watchers.add(look);
    look();
  });
}

export const p2pmClient = {
  /** The homeserver base URL, discovered as clients do (spec: "Well-known URIs"). */
  async discover(serverUrl: string): Promise<string> {
    const res = await fetch(`${serverUrl}/.well-known/matrix/client`);
    const body = (await res.json()) as { 'm.homeserver': { base_url: string } };
    return body['m.homeserver'].base_url;
  },

  /** Registers through user-interactive auth (401 with a session, then m.login.dummy). */
  async register(baseUrl: string, username: string): Promise<Credentials> {
    const anonymous = createClient({ baseUrl, logger: quiet });
    const password = 'correct horse battery';
    let session: string | undefined;
    try {
      await anonymous.registerRequest({ username, password });
    } catch (err) {
      session = (err as { data?: { session?: string } }).data?.session;
    }
    if (!session) throw new Error('register did not answer 401 with a UIA session');
    const res = await anonymous.registerRequest({
      username,
      password,
      auth: { type: 'm.login.dummy', session },
    });
    return { userId: res.user_id, accessToken: res.access_token!, deviceId: res.device_id! };
  },

  /** Starts a syncing client named `name` and waits for its first sync. */
  async start(name: string, baseUrl: string, creds: Credentials): Promise<void> {
    const c = createClient({ baseUrl, ...creds, logger: quiet, timelineSupport: true, fetchFn: tracedFetch });
    const rooms = new Map<string, string[]>();
    synced.set(name, rooms);
    c.on(RoomEvent.Timeline, (event: MatrixEvent, room: Room | undefined, toStart: boolean | undefined) => {
      const body = bodyOf(event);
      if (!room || toStart || body === undefined || event.status !== null) return;
      rooms.set(room.roomId, [...(rooms.get(room.roomId) ?? []), body]);
      arrivals.set(`${name}\n${body}`, wallClock());
      received();
    });
    c.on(ClientEvent.ToDeviceEvent, (event: MatrixEvent) => {
      const n = event.getContent().n;
      if (event.getType() !== 'p2pm.bench' || typeof n !== 'number') return;
      arrivals.set(`${name}\nto-device ${n}`, wallClock());
      received();
    });
    clients.set(name, c);
    const prepared = new Promise<void>((resolve) => {
      const onSync = (state: SyncState) => {
        if (state !== SyncState.Prepared) return;
        c.off(ClientEvent.Sync, onSync);
        resolve();
      };
      c.on(ClientEvent.Sync, onSync);
    });
    await c.startClient({ initialSyncLimit: 50 });
    await prepared;
  },

  stop(name: string): void {
    client(name).stopClient();
    clients.delete(name);
  },

  async createRoom(name: string, roomName: string): Promise<string> {
    const { room_id } = await client(name).createRoom({ name: roomName, preset: 'public_chat' as never });
    return room_id;
  },

  /** Creates a public room listed in the server's directory (spec: "Room discovery"). */
  async createPublicRoom(name: string, roomName: string): Promise<string> {
    const { room_id } = await client(name).createRoom({
      name: roomName,
      preset: 'public_chat' as never,
      visibility: 'public' as never,
    });
    return room_id;
  },

  async join(name: string, roomId: string, viaServers?: string[]): Promise<void> {
    await client(name).joinRoom(roomId, viaServers ? { viaServers } : {});
  },

  /** The rooms of the directory whose name contains `term` (POST /publicRooms with a filter). */
  async publicRooms(name: string, term: string): Promise<{ roomId: string; name: string | null }[]> {
    const res = await client(name).publicRooms({ filter: { generic_search_term: term }, limit: 50 });
    return res.chunk.map((room) => ({ roomId: room.room_id, name: room.name ?? null }));
  },

  /** Waits until the directory lists a room named `roomName`; returns its room ID. */
  async findPublicRoom(name: string, roomName: string, hangGuardMs = 120_000): Promise<string> {
    const deadline = Date.now() + hangGuardMs;
    for (;;) {
      const found = (await p2pmClient.publicRooms(name, roomName)).find((r) => r.name === roomName);
      if (found) return found.roomId;
      if (Date.now() > deadline) throw new Error(`hang guard: ${roomName} in the directory`);
      await new Promise((r) => setTimeout(r, 250));
    }
  },

  /** Message bodies `name` received through /sync in `roomId` whose body starts with `prefix`, once there are `count`. */
  async syncedWithPrefix(name: string, roomId: string, prefix: string, count: number): Promise<string[]> {
    const matching = () => (synced.get(name)?.get(roomId) ?? []).filter((b) => b.startsWith(prefix));
    return until(
      () => (matching().length >= count ? matching() : undefined),
      `${count} messages "${prefix}…" synced to ${name}`,
      120_000,
    );
  },

  async send(name: string, roomId: string, body: string): Promise<string> {
    return (await client(name).sendTextMessage(roomId, body)).event_id;
  },

  /** Waits until `name` has received `count` messages in `roomId` through /sync; returns their bodies. */
  async syncedBodies(name: string, roomId: string, count: number): Promise<string[]> {
    return until(() => {
      const bodies = synced.get(name)?.get(roomId) ?? [];
      return bodies.length >= count ? bodies : undefined;
    }, `${count} messages synced to ${name}`);
  },

  /** The room's messages from the start, oldest first, paginated through /messages. */
  async history(name: string, roomId: string): Promise<string[]> {
    const bodies: string[] = [];
    let from: string | null = null;
    for (;;) {
      const page = await client(name).createMessagesRequest(roomId, from, 30, Direction.Backward);
      for (const event of page.chunk) if (event.type === 'm.room.message') bodies.unshift(event.content.body);
      if (!page.end || page.chunk.length === 0) return bodies;
      from = page.end;
    }
  },

  /** How many messages the newest page of `limit` events (/messages, backwards) holds now. */
  async newestPageMessages(name: string, roomId: string, limit: number): Promise<number> {
    const page = await client(name).createMessagesRequest(roomId, null, limit, Direction.Backward);
    return page.chunk.filter((event) => event.type === 'm.room.message').length;
  },

  /** Sends a message and returns when the send started (ms since the epoch), for the bench. */
  async sendTimed(name: string, roomId: string, body: string): Promise<number> {
    const started = wallClock();
    await client(name).sendTextMessage(roomId, body);
    return started;
  },

  /** Sends to-device message `n` (type p2pm.bench) to every device of `userId`; when it was sent. */
  async sendToDeviceTimed(name: string, userId: string, n: number): Promise<number> {
    const started = wallClock();
    await client(name).sendToDevice('p2pm.bench', new Map([[userId, new Map([['*', { n }]])]]));
    return started;
  },

  /** When to-device message `n` reached `name` through /sync (ms since the epoch); waits for it. */
  async toDeviceArrivedAt(name: string, n: number): Promise<number> {
    return until(() => arrivals.get(`${name}\nto-device ${n}`), `to-device ${n} synced to ${name}`);
  },

  /** Starts recording the page's spans (pageSpans). */
  startTrace(): void {
    pageSpans = [];
  },

  /** The page's spans so far; the recording stops. */
  takeTrace(): { name: string; start: number; end: number }[] {
    const spans = pageSpans ?? [];
    pageSpans = undefined;
    return spans;
  },

  /** When `body` reached `name` through /sync (ms since the epoch); waits for it. */
  async arrivedAt(name: string, body: string): Promise<number> {
    return until(() => arrivals.get(`${name}\n${body}`), `${body} synced to ${name}`);
  },

  /**
   * POST /search through matrix-js-sdk (a client that does not sync: a bench
   * searches a homeserver still busy with nothing else); the round trip in ms
   * and the result's count.
   */
  async searchTimed(
    baseUrl: string,
    creds: Credentials,
    criteria: Record<string, unknown>,
  ): Promise<{ ms: number; count: number }> {
    const c = createClient({ baseUrl, ...creds, logger: quiet });
    const started = performance.now();
    const res = await c.search({ body: { search_categories: { room_events: criteria as never } } });
    return { ms: performance.now() - started, count: res.search_categories.room_events.count ?? 0 };
  },

  /** Sequential GET /versions through the shim: each round trip in ms. */
  async versionsRoundTrips(baseUrl: string, count: number): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await (await fetch(`${baseUrl}/_matrix/client/versions`)).json();
      times.push(performance.now() - started);
    }
    return times;
  },

  /** The body of a GET made with XMLHttpRequest, for the XHR shim, and how many progress events it fired. */
  xhrGet(
    url: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; contentType: string | null; json: unknown; progressEvents: number }> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      let progressEvents = 0;
      xhr.open('GET', url);
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.responseType = 'json';
      xhr.onprogress = () => progressEvents++;
      xhr.onload = () =>
        resolve({
          status: xhr.status,
          contentType: xhr.getResponseHeader('content-type'),
          json: xhr.response,
          progressEvents,
        });
      xhr.onerror = () => reject(new TypeError('XHR network error'));
      xhr.send();
    });
  },
  /** Uploads `base64` as an image with the legacy upload endpoint (Element's); its `mxc://` URI. */
  async uploadImage(baseUrl: string, accessToken: string, base64: string, name: string): Promise<string> {
    const res = await fetch(`${baseUrl}/_matrix/media/v3/upload?filename=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'image/png' },
      body: Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)),
    });
    if (!res.ok) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { content_uri: string }).content_uri;
  },

  /**
   * Puts an `<img>` of `url` into the page the way `how` says (the src
   * property, setAttribute as React does, or markup through the HTML parser)
   * and waits for the event `until` names: on an approved origin its `load`
   * (an element from markup fails its own load of the URL first, then loads
   * the extension's blob), elsewhere its `error`.
   */
  showImage(
    url: string,
    how: 'property' | 'attribute' | 'markup',
    until: 'load' | 'error',
  ): Promise<ShownImage> {
    return new Promise((resolve, reject) => {
      const { document } = globalThis as unknown as { document: PageDocument };
      const holder = document.createElement('div') as HolderElement;
      document.body.append(holder);
      let img: ImageElement;
      if (how === 'markup') {
        holder.innerHTML = `<img src="${url}">`;
        img = holder.querySelector('img') as ImageElement;
      } else {
        img = document.createElement('img') as ImageElement;
        if (how === 'property') img.src = url;
        else img.setAttribute('src', url);
        holder.append(img);
      }
      const settle = (event: 'load' | 'error') => () => {
        if (event !== until) return;
        const { naturalWidth, naturalHeight } = img;
        resolve({ event, naturalWidth, naturalHeight, scheme: new URL(img.src).protocol });
      };
      img.addEventListener('load', settle('load'));
      img.addEventListener('error', settle('error'));
      setTimeout(() => reject(new Error(`hang guard: no ${until} event for the <img> (${how})`)), 30_000);
    });
  },
  /**
   * Puts one `<img>` of each URL into the page at once and resolves when all
   * have loaded: the milliseconds it took, and how many failed instead.
   */
  timeImages(urls: string[]): Promise<{ ms: number; failed: number }> {
    const { document } = globalThis as unknown as { document: PageDocument };
    const started = performance.now();
    let failed = 0;
    return Promise.all(
      urls.map(
        (url) =>
          new Promise<void>((resolve) => {
            const img = document.createElement('img') as ImageElement;
            img.addEventListener('load', () => resolve());
            img.addEventListener('error', () => {
              failed++;
              resolve();
            });
            img.src = url;
            document.body.append(img);
          }),
      ),
    ).then(() => ({ ms: performance.now() - started, failed }));
  },
};

// The few DOM members showImage and timeImages use: this file is typechecked without the DOM library.
interface PageDocument {
  createElement(tag: string): unknown;
  readonly body: { append(node: unknown): void };
}
interface HolderElement {
  innerHTML: string;
  append(node: unknown): void;
  querySelector(selector: string): unknown;
}
interface ImageElement extends EventTarget {
  src: string;
  readonly naturalWidth: number;
  readonly naturalHeight: number;
  setAttribute(name: string, value: string): void;
}

/** What an `<img>` showed (showImage). */
export interface ShownImage {
  readonly event: 'load' | 'error';
  readonly naturalWidth: number;
  readonly naturalHeight: number;
  /** The scheme of the URL the element ended up with: `blob:` once the extension gave it the media. */
  readonly scheme: string;
}

export type ClientPageApi = typeof p2pmClient;

Object.assign(globalThis, { p2pmClient });
