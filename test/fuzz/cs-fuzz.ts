// The Client-Server half of the fuzzer: seeded requests to every route the
// router serves (taken from the homeserver itself, so a new route is fuzzed
// without anyone listing it), with hostile path parameters, queries, bodies,
// headers and methods, sent over real HTTP to a `p2p-matrix serve` process.
// Every answer must pass verdict.ts; a request without an answer in HANG_MS
// is a hang, a process that exits a crash. Every event and room the server
// acknowledged (2xx with an event_id or room_id) is recorded for the
// kill -9 check.
import { Hang, type RawRequest, rawCall } from './http-call.ts';
import type { Rng } from './rng.ts';
import {
  type Context,
  encodeAny,
  hostileObject,
  hostileString,
  hostileValue,
  type Json,
  nearValue,
} from './values.ts';
import { badAnswer } from './verdict.ts';

export interface RouteShape {
  readonly method: string;
  readonly path: string;
  readonly auth: 'required' | 'optional' | 'none';
}

export interface FuzzUser {
  readonly userId: string;
  accessToken: string;
  readonly deviceId: string;
}

export interface CsTarget {
  readonly base: URL;
  readonly routes: readonly RouteShape[];
  readonly users: readonly FuzzUser[];
  readonly ctx: Context;
  /** A user's token stopped working (the fuzzer logged it out): get a new one. */
  revive(user: FuzzUser): Promise<void>;
  /** Undefined while the server runs; why it stopped otherwise. */
  crashed(): string | undefined;
}

export interface Finding {
  readonly request: string;
  readonly problem: string;
}

export interface Acknowledged {
  readonly events: Map<string, string>;
  readonly rooms: Set<string>;
}

/** Routes that wait for something by default when no `timeout` is given. */
const DEFAULT_LONG_POLLS = ['/_matrix/client/v3/events'];

/** A request with no answer after this long hangs (long-polls are asked for at most 2 s). */
export const HANG_MS = 20_000;

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
const QUERY_NAMES = [
  'limit',
  'from',
  'to',
  'dir',
  'since',
  'timeout',
  'filter',
  'full_state',
  'set_presence',
  'access_token',
  'user_id',
  'server_name',
  'via',
  'ts',
  'kind',
  'allow_redirect',
  'width',
  'height',
  'method',
  'animated',
  'url',
  'timeout_ms',
  'include_unredacted_content',
  'recurse',
  'max_depth',
  'suggested_only',
  'event_id',
  'membership',
  'not_membership',
  'at',
  'next_batch',
  'version',
  'filename',
  'keys',
  'org.matrix.msc2716.batch_id',
];

/** Values a parameter of this name may take: real ones from the server, and hostile ones. */
function paramValue(rng: Rng, name: string, ctx: Context): string {
  if (rng.chance(0.25)) return hostileString(rng);
  const known = (kind: string) => ctx.known[kind] ?? [];
  const from = (kind: string) => (known(kind).length > 0 ? rng.pick(known(kind)) : hostileString(rng));
  switch (name) {
    case 'roomId':
      return from('roomId');
    case 'roomIdOrAlias':
      return rng.chance(0.5) ? from('roomId') : from('alias');
    case 'roomAlias':
    case 'alias':
      return from('alias');
    case 'userId':
      return from('userId');
    case 'eventId':
      return from('eventId');
    case 'serverName':
      return from('serverName');
    case 'mediaId':
      return from('mediaId');
    case 'deviceId':
      return from('deviceId');
    case 'eventType':
    case 'type':
      return rng.pick([
        'm.room.message',
        'm.room.name',
        'm.room.member',
        'm.room.power_levels',
        'm.room.create',
        'm.reaction',
        'm.room.join_rules',
        'org.fuzz',
      ]);
    case 'stateKey':
      return rng.chance(0.5) ? '' : from('userId');
    case 'txnId':
      return `t${rng.int(0, 1e9)}`;
    default:
      return rng.chance(0.5) ? String(nearValue(rng, ctx)) : hostileString(rng);
  }
}

/** Percent-encodes a parameter, or now and then sends it raw (unencoded `/`, `%`, spaces). */
function encodeParam(rng: Rng, value: string): string {
  if (rng.chance(0.9)) return encodeAny(value);
  // Raw, but only what node:http will put on the wire (no control characters or spaces).
  return [...value].map((c) => (c <= ' ' || c >= '\u007f' ? encodeAny(c) : c)).join('');
}

function queryValue(rng: Rng, name: string, ctx: Context): string {
  if (name === 'timeout' || name === 'timeout_ms')
    return rng.chance(0.8) ? String(rng.int(0, 2000)) : rng.pick(['-1', 'x', '1e400', '', '0.5', 'NaN']);
  if (name === 'filter' && rng.chance(0.5)) return JSON.stringify(hostileObject(rng, ctx));
  const v = rng.chance(0.5) ? hostileValue(rng, ctx, 1) : nearValue(rng, ctx);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function fuzzBody(rng: Rng, ctx: Context): Uint8Array | undefined {
  const encode = (s: string) => new TextEncoder().encode(s);
  switch (rng.int(0, 19)) {
    case 0:
      return undefined;
    case 1:
      return encode(
        rng.pick(['{', '{"a":', '[', 'nul', '{"a":1}{', '\u0000', '{"a":"\\ud800"}', '{"a":1,"a":2}']),
      );
    case 2:
      return Uint8Array.from({ length: rng.int(1, 64) }, () => rng.int(0, 255));
    case 3:
      return encode(JSON.stringify(hostileValue(rng, ctx, 2)));
    case 4: {
      // Nested past any parser's recursion (as text: JSON.stringify itself would overflow).
      const n = rng.pick([5_000, 100_000]);
      return encode(`{"a":${'['.repeat(n)}${']'.repeat(n)}}`);
    }
    default:
      return encode(JSON.stringify(hostileObject(rng, ctx, 3)));
  }
}

/** Where a user's token goes: filled in when the request is sent, as the token may have changed since it was made. */
const TOKEN = '<token>';

function headers(rng: Rng, route: RouteShape, token: string | undefined, body: Uint8Array | undefined) {
  const out: Record<string, string> = {};
  if (token !== undefined) {
    const r = rng.next();
    out.authorization =
      r < 0.85 ? `Bearer ${token}` : r < 0.9 ? 'Bearer' : r < 0.95 ? `Basic ${token}` : `Bearer ${token}x`;
  }
  if (body !== undefined || rng.chance(0.1))
    out['content-type'] = rng.chance(0.85)
      ? 'application/json'
      : rng.pick([
          'text/plain',
          'image/png',
          'multipart/form-data; boundary=x',
          '',
          'application/json; charset=latin1',
        ]);
  if (rng.chance(0.05)) out.origin = hostileString(rng).replace(/[^\x21-\x7e]/g, '') || 'null';
  if (rng.chance(0.05))
    out.range = rng.pick(['bytes=0-0', 'bytes=-1', 'bytes=5-1', 'bytes=0-99999999999', 'x']);
  void route;
  return out;
}

/** One generated request for `route`. */
export function generateRequest(
  rng: Rng,
  route: RouteShape,
  target: CsTarget,
): { req: RawRequest; user?: FuzzUser } {
  const { ctx } = target;
  const method = rng.chance(0.9) ? route.method : rng.pick(METHODS);
  let path = route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeParam(rng, paramValue(rng, name, ctx)),
  );
  if (rng.chance(0.03))
    path = rng.pick([
      `${path}/`,
      `${path}//`,
      path.replace('/v3/', '/r0/'),
      `${path}/..`,
      path.toUpperCase(),
    ]);
  const query: string[] = [];
  for (let i = rng.int(0, 3); i > 0; i--) {
    const name = rng.pick(QUERY_NAMES);
    query.push(`${encodeURIComponent(name)}=${encodeAny(queryValue(rng, name, ctx))}`);
  }
  // A long-poll that waits by default (the events stream: 30 s) is always asked for a short one.
  if (DEFAULT_LONG_POLLS.includes(route.path) && !query.some((q) => q.startsWith('timeout=')))
    query.push(`timeout=${rng.int(0, 2000)}`);
  if (rng.chance(0.02)) query.push(rng.pick(['%', '%zz=1', '=', '&&', 'a=%ff']));
  const user =
    route.auth !== 'none' || rng.chance(0.2)
      ? rng.chance(0.9)
        ? rng.pick(target.users)
        : undefined
      : undefined;
  // No client sends HEAD with a body (fetch refuses), and Node's parser takes it for a broken request.
  const wantsBody =
    method === 'PUT' || method === 'POST' ? rng.chance(0.95) : method !== 'HEAD' && rng.chance(0.05);
  const body = wantsBody ? fuzzBody(rng, ctx) : undefined;
  return {
    req: {
      method,
      path: query.length > 0 ? `${path}?${query.join('&')}` : path,
      headers: headers(rng, route, user && TOKEN, body),
      ...(body && { body }),
    },
    ...(user && { user }),
  };
}

export interface CsRunResult {
  readonly requests: number;
  readonly findings: Finding[];
  readonly statuses: Map<number, number>;
}

/** Sends `count` requests, every route in turn in a shuffled order, `concurrency` at a time. */
export async function runCsFuzz(
  rng: Rng,
  target: CsTarget,
  count: number,
  ack: Acknowledged,
  concurrency = 4,
): Promise<CsRunResult> {
  const findings: Finding[] = [];
  const statuses = new Map<number, number>();
  let order: RouteShape[] = [];
  const plan: { req: RawRequest; user?: FuzzUser }[] = [];
  for (let i = 0; i < count; i++) {
    if (order.length === 0) order = rng.shuffle(target.routes);
    plan.push(generateRequest(rng, order.pop()!, target));
  }
  let next = 0;
  const worker = async () => {
    while (next < plan.length && findings.length < 20) {
      const planned = plan[next++]!;
      const { user } = planned;
      const authorization = planned.req.headers.authorization;
      const req =
        user && authorization
          ? {
              ...planned.req,
              headers: {
                ...planned.req.headers,
                authorization: authorization.replace(TOKEN, user.accessToken),
              },
            }
          : planned.req;
      const shown = `${req.method} ${req.path.slice(0, 300)} body=${req.body ? Buffer.from(req.body).toString().slice(0, 300) : '-'}`;
      let status: number;
      let body: Json;
      try {
        const answer = await rawCall(target.base, req, HANG_MS);
        status = answer.status;
        try {
          body = answer.text && req.method !== 'HEAD' ? JSON.parse(answer.text) : undefined;
        } catch {
          body = answer.text.slice(0, 200);
        }
      } catch (err) {
        const crash = target.crashed();
        findings.push({
          request: shown,
          problem: crash ?? (err instanceof Hang ? `hang: ${err.message}` : `no answer: ${String(err)}`),
        });
        if (crash) return;
        continue;
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const problem = req.method === 'HEAD' && status < 500 ? undefined : badAnswer(status, body);
      if (problem)
        findings.push({ request: shown, problem: `${problem} ${JSON.stringify(body)?.slice(0, 200)}` });
      if (status >= 200 && status < 300 && typeof body === 'object' && body !== null) {
        if (typeof body.event_id === 'string' && req.method !== 'GET') {
          const roomId = decodeURIComponent(/\/rooms\/([^/]+)\//.exec(req.path)?.[1] ?? '');
          ack.events.set(body.event_id, roomId);
        }
        if (typeof body.room_id === 'string' && req.path.includes('createRoom')) ack.rooms.add(body.room_id);
      }
      if (
        user &&
        status === 401 &&
        body?.errcode === 'M_UNKNOWN_TOKEN' &&
        req.headers.authorization === `Bearer ${user.accessToken}`
      )
        await target.revive(user);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { requests: next, findings, statuses };
}
