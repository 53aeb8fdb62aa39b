// The Server-Server half of the fuzzer: a hostile peer with a libp2p node of
// its own (its key, its connection, the real codec) sends the homeserver
// under test seeded inputs of three kinds:
//  - frames: bytes on a raw `/matrix/federation/1.0.0` stream (mutated
//    request frames, lying lengths, unknown kinds, broken heads, truncation);
//    the answer must be a well-formed response or the stream ended, never a
//    5xx and never silence;
//  - transactions: `PUT /send/{txnId}` with PDUs (well-formed events of the
//    rogue's user in a room it joined, and mutations of them, signed again or
//    not) and EDUs of every type with hostile content;
//  - requests: every other federation route with hostile parameters, queries
//    and bodies.
// A PDU the server accepted (an empty result in the transaction's answer) is
// recorded as acknowledged for the kill -9 check.
import type { Stream } from '@libp2p/interface';
import type { FederationRequest } from '../../src/core/federation/transport.ts';
import type { JsonObject } from '../../src/core/protocol.ts';
import {
  FEDERATION_PROTOCOL,
  messageFrames,
  requestHead,
} from '../../src/platform/libp2p/federation-wire.ts';
import { encodeFrame, FrameKind, packFrames } from '../../src/platform/libp2p/frames.ts';
import { serverNameToPeerId } from '../../src/platform/libp2p/identity.ts';
import type { Libp2pPeerTransport } from '../../src/platform/libp2p/libp2p-transport.ts';
import { readMessage } from '../../src/platform/libp2p/stream-io.ts';
import type { RoguePeer } from '../core/federation/rogue-peer.ts';
import type { Acknowledged, Finding } from './cs-fuzz.ts';
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

export interface FedTarget {
  readonly serverName: string;
  readonly rogue: RoguePeer;
  readonly transport: Libp2pPeerTransport;
  readonly routes: readonly { readonly method: string; readonly path: string }[];
  readonly ctx: Context;
  /** The public room the rogue's user joined, and what its events cite. */
  readonly room: RogueRoom;
  crashed(): string | undefined;
}

export interface RogueRoom {
  readonly roomId: string;
  readonly userId: string;
  /** create (v<12), power levels, join rules, the rogue user's join. */
  readonly authEvents: readonly string[];
  /** The rogue's latest accepted event (its next event's prev). */
  latest: string;
  depth: number;
}

export interface FedRunResult {
  readonly inputs: number;
  readonly findings: Finding[];
  readonly kinds: Record<string, number>;
}

const HANG_MS = 20_000;
const EDU_TYPES = [
  'm.typing',
  'm.receipt',
  'm.presence',
  'm.device_list_update',
  'm.signing_key_update',
  'm.direct_to_device',
  'org.fuzz.unknown',
];

/** One well-formed message event of the rogue's user, next in its chain. */
async function goodPdu(rng: Rng, t: FedTarget): Promise<{ pdu: JsonObject; eventId: string }> {
  const { room } = t;
  return t.rogue.event({
    room_id: room.roomId,
    type: 'm.room.message',
    sender: room.userId,
    content: { msgtype: 'm.text', body: `fuzz ${rng.int(0, 1e9)}` },
    prev_events: [room.latest],
    auth_events: [...room.authEvents],
    depth: ++room.depth,
  });
}

const PDU_FIELDS = [
  'room_id',
  'type',
  'sender',
  'content',
  'prev_events',
  'auth_events',
  'depth',
  'state_key',
  'origin_server_ts',
  'hashes',
  'signatures',
  'unsigned',
  'redacts',
  'event_id',
];

/** A well-formed PDU with one to three fields replaced or removed; signed again half the time. */
async function mutatedPdu(rng: Rng, t: FedTarget): Promise<JsonObject> {
  const { pdu } = await goodPdu(rng, t);
  const fields: Record<string, Json> = { ...pdu };
  for (let i = rng.int(1, 3); i > 0; i--) {
    const key = rng.pick(PDU_FIELDS);
    if (rng.chance(0.3)) delete fields[key];
    else fields[key] = rng.chance(0.3) ? nearValue(rng, t.ctx) : hostileValue(rng, t.ctx, 2);
  }
  if (rng.chance(0.5)) {
    const { hashes: _h, signatures: _s, ...unsigned } = fields;
    try {
      return (await t.rogue.event(unsigned as JsonObject)).pdu;
    } catch {
      // Not signable (a float, a depth past the integer range): sent as it is.
    }
  }
  return fields as JsonObject;
}

function hostileEdu(rng: Rng, t: FedTarget): Json {
  const type = rng.pick(EDU_TYPES);
  const content: Record<string, Json> = hostileObject(rng, t.ctx, 3);
  if (rng.chance(0.6)) {
    // Shaped like the real thing, with hostile leaves.
    const user = rng.chance(0.7) ? t.room.userId : t.rogue.user(hostileString(rng).slice(0, 20));
    const leaf = () => (rng.chance(0.5) ? hostileValue(rng, t.ctx, 1) : nearValue(rng, t.ctx));
    const shaped: Record<string, Json> = {
      'm.typing': { room_id: rng.chance(0.7) ? t.room.roomId : leaf(), user_id: user, typing: leaf() },
      'm.receipt': {
        [rng.chance(0.7) ? t.room.roomId : JSON.stringify(leaf())]: {
          'm.read': { [user]: { event_ids: [leaf()], data: { ts: leaf() } } },
        },
      },
      'm.presence': {
        push: [{ user_id: user, presence: leaf(), last_active_ago: leaf(), status_msg: leaf() }],
      },
      'm.device_list_update': {
        user_id: user,
        device_id: leaf(),
        stream_id: leaf(),
        prev_id: [leaf()],
        deleted: leaf(),
        keys: leaf(),
      },
      'm.signing_key_update': { user_id: user, master_key: leaf(), self_signing_key: leaf() },
      'm.direct_to_device': {
        sender: user,
        type: leaf(),
        message_id: leaf(),
        messages: { [String(nearValue(rng, t.ctx))]: { '*': leaf() } },
      },
    };
    return { edu_type: type, content: shaped[type] ?? content };
  }
  return rng.chance(0.9) ? { edu_type: type, content } : hostileValue(rng, t.ctx, 2);
}

async function transaction(
  rng: Rng,
  t: FedTarget,
): Promise<{ req: FederationRequest; good: Map<string, string> }> {
  const pdus: Json[] = [];
  const good = new Map<string, string>();
  for (let i = rng.int(0, 4); i > 0; i--) {
    const r = rng.next();
    if (r < 0.35) {
      const { pdu, eventId } = await goodPdu(rng, t);
      pdus.push(pdu);
      good.set(eventId, t.room.roomId);
    } else if (r < 0.9) pdus.push(await mutatedPdu(rng, t));
    else pdus.push(hostileValue(rng, t.ctx, 2));
  }
  const edus = Array.from({ length: rng.int(0, 3) }, () => hostileEdu(rng, t));
  const body: Record<string, Json> = { origin: t.rogue.serverName, origin_server_ts: Date.now(), pdus, edus };
  if (rng.chance(0.1))
    body[rng.pick(['origin', 'origin_server_ts', 'pdus', 'edus'])] = hostileValue(rng, t.ctx, 1);
  const txnId = rng.chance(0.9) ? `fz${rng.int(0, 1e12)}` : hostileString(rng) || 'x';
  return {
    req: {
      method: 'PUT',
      path: `/_matrix/federation/v1/send/${encodeAny(txnId.slice(0, 2000))}`,
      origin: t.rogue.serverName,
      body: body as JsonObject,
    },
    good,
  };
}

function routeRequest(rng: Rng, t: FedTarget): FederationRequest {
  const route = rng.pick(t.routes);
  const method = rng.chance(0.9) ? route.method : rng.pick(['GET', 'PUT', 'POST', 'DELETE']);
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const known =
      name === 'roomId'
        ? [t.room.roomId]
        : name === 'eventId'
          ? [t.room.latest]
          : name === 'userId'
            ? [t.room.userId]
            : [];
    const value =
      known.length > 0 && rng.chance(0.6)
        ? rng.pick(known)
        : rng.chance(0.5)
          ? String(nearValue(rng, t.ctx))
          : hostileString(rng);
    return encodeAny((value || 'x').slice(0, 2000));
  });
  const query: Record<string, string | string[]> = {};
  for (let i = rng.int(0, 3); i > 0; i--)
    query[
      rng.pick([
        'limit',
        'v',
        'ver',
        'event_id',
        'ts',
        'dir',
        'suggested_only',
        'since',
        'min_depth',
        'include_servers',
        'allow_remote',
        'timeout_ms',
      ])
    ] = rng.chance(0.5)
      ? hostileString(rng).slice(0, 2000)
      : [String(nearValue(rng, t.ctx)), hostileString(rng).slice(0, 2000)];
  const body = method === 'GET' ? undefined : rng.chance(0.8) ? hostileObject(rng, t.ctx, 3) : undefined;
  return { method, path, query, origin: t.rogue.serverName, ...(body && { body: body as JsonObject }) };
}

/** Bytes of a request, broken in one of many ways. */
function brokenFrames(rng: Rng, t: FedTarget): Uint8Array[] {
  const req = routeRequest(rng, t);
  const bodyBytes = new TextEncoder().encode(JSON.stringify(req.body ?? hostileObject(rng, t.ctx)));
  const head = requestHead(req, rng.pick(['json', 'bytes', 'none'] as const), bodyBytes.length);
  const chunks = [...packFrames(messageFrames(head, bodyBytes))];
  const all = Buffer.concat(chunks);
  switch (rng.int(0, 9)) {
    case 0: // truncated anywhere
      return [all.subarray(0, rng.int(0, all.length - 1))];
    case 1: {
      // bits flipped
      const copy = Uint8Array.from(all);
      for (let i = rng.int(1, 8); i > 0; i--) copy[rng.int(0, copy.length - 1)]! ^= 1 << rng.int(0, 7);
      return [copy];
    }
    case 2: // an unknown kind, or a length past the limit
      return [Uint8Array.of(rng.pick([0, 4, 255, FrameKind.data]), 0xff, 0xff, 0xff, rng.int(0, 255))];
    case 3: {
      // a head that is not the head
      const headJson = rng.chance(0.5) ? JSON.stringify(hostileValue(rng, t.ctx, 2)) : hostileString(rng);
      return [
        encodeFrame(FrameKind.head, new TextEncoder().encode(headJson.slice(0, 16_000))),
        encodeFrame(FrameKind.end),
      ];
    }
    case 4: {
      // a head lying about its length
      const lying = {
        ...head,
        length: rng.pick([0, 1, bodyBytes.length + 1, 2 ** 32, -1, 1.5, 4 * 1024 ** 3]),
      };
      return [...packFrames(messageFrames(lying as typeof head, bodyBytes))];
    }
    case 5: // frames in the wrong order
      return [encodeFrame(FrameKind.end), ...chunks];
    case 6: // random bytes
      return [Uint8Array.from({ length: rng.int(1, 300) }, () => rng.int(0, 255))];
    case 7: {
      // a head with a hostile field
      const field = rng.pick(['method', 'path', 'query', 'origin', 'body', 'length']);
      const mutated = { ...head, [field]: hostileValue(rng, t.ctx, 2) };
      return [
        encodeFrame(FrameKind.head, new TextEncoder().encode(JSON.stringify(mutated).slice(0, 16_000))),
        ...chunks.slice(1),
      ];
    }
    default: // whole, split at random points
      return splitAt(rng, all);
  }
}

function splitAt(rng: Rng, bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const n = rng.int(1, Math.max(1, bytes.length - at));
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** Sends raw bytes on a new stream; the answer's status, or 'ended' when the server dropped the stream. */
async function rawExchange(
  t: FedTarget,
  parts: Uint8Array[],
): Promise<{ status: number; body: Json } | 'ended'> {
  const peer = serverNameToPeerId(t.serverName)!;
  const conn = t.transport.libp2p.getConnections(peer).find((c) => c.status === 'open');
  if (!conn) throw new Error('the rogue lost its connection');
  const stream: Stream = await conn.newStream(FEDERATION_PROTOCOL, {
    runOnLimitedConnection: true,
    negotiateFully: false,
  });
  const reading = readMessage(stream, 8 * 1024 * 1024, AbortSignal.timeout(HANG_MS));
  for (const part of parts)
    if (!stream.send(part)) await stream.onDrain({ signal: AbortSignal.timeout(HANG_MS) });
  await stream.close({ signal: AbortSignal.timeout(HANG_MS) }).catch(() => {});
  try {
    const { head, body } = await reading;
    const text = new TextDecoder().decode(body);
    let parsed: Json;
    try {
      parsed = head.body === 'json' ? JSON.parse(text) : text;
    } catch {
      parsed = text;
    }
    return { status: Number(head.status), body: parsed };
  } catch (err) {
    if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) throw err;
    return 'ended';
  } finally {
    stream.abort(new Error('done'));
  }
}

/** The answer, or a rejection once HANG_MS passed without one. */
function answerOrHang<T>(pending: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: no answer in ${HANG_MS} ms`)), HANG_MS);
  });
  return Promise.race([pending, hang]).finally(() => clearTimeout(timer));
}

export async function runFedFuzz(
  rng: Rng,
  t: FedTarget,
  count: number,
  ack: Acknowledged,
  progress: (line: string) => void = () => {},
): Promise<FedRunResult> {
  const started = Date.now();
  const findings: Finding[] = [];
  const kinds: Record<string, number> = { frames: 0, transactions: 0, requests: 0 };
  let inputs = 0;
  for (; inputs < count && findings.length < 20; inputs++) {
    const r = rng.next();
    let shown = '';
    if (inputs % 500 === 0 && inputs > 0)
      progress(`  federation: ${inputs} inputs, ${Date.now() - started} ms, ${findings.length} findings`);
    try {
      if (r < 0.25) {
        kinds.frames!++;
        const parts = brokenFrames(rng, t);
        shown = `frames ${Buffer.concat(parts).toString('base64').slice(0, 300)}`;
        const answer = await answerOrHang(rawExchange(t, parts));
        if (answer !== 'ended') {
          const problem = badAnswer(answer.status, answer.body);
          if (problem) findings.push({ request: shown, problem });
        }
      } else if (r < 0.65) {
        kinds.transactions!++;
        const { req, good } = await transaction(rng, t);
        shown = `${req.method} ${req.path} ${JSON.stringify(req.body).slice(0, 400)}`;
        const res = await answerOrHang(t.transport.request(t.serverName, req));
        const problem = badAnswer(res.status, res.body);
        if (problem)
          findings.push({ request: shown, problem: `${problem} ${JSON.stringify(res.body).slice(0, 200)}` });
        const results = (res.body as Json)?.pdus ?? {};
        for (const [eventId, roomId] of good) {
          const result = results[eventId];
          if (res.status === 200 && result && Object.keys(result).length === 0) {
            ack.events.set(eventId, roomId);
            t.room.latest = eventId;
          }
        }
      } else {
        kinds.requests!++;
        const req = routeRequest(rng, t);
        shown = `${req.method} ${req.path} ${JSON.stringify(req.query)} ${JSON.stringify(req.body ?? null).slice(0, 300)}`;
        const res = await answerOrHang(t.transport.request(t.serverName, req));
        const problem = badAnswer(res.status, res.body instanceof Uint8Array ? {} : res.body);
        if (problem && !(res.status < 400))
          findings.push({ request: shown, problem: `${problem} ${JSON.stringify(res.body).slice(0, 200)}` });
      }
    } catch (err) {
      // Our own request that the wire cannot carry (its head past one frame) is refused before it is sent.
      if (err instanceof RangeError) continue;
      const crash = t.crashed();
      findings.push({
        request: shown,
        problem: crash ?? `no answer: ${err instanceof Error ? `${err.name} ${err.message}` : String(err)}`,
      });
      if (crash) break;
    }
  }
  return { inputs, findings, kinds };
}
