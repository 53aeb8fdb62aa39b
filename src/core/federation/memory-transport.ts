// An in-memory network of PeerTransports for fast tests. It behaves like the
// libp2p transport where the conformance suite can tell: bodies are copied
// (JSON round trip), the sender is the transport's own name (the "authenticated
// connection"), size and concurrency limits apply, and disconnect/reconnect
// simulate a partition with `down`/`up` events on both sides.

import type { Clock } from '../ports.ts';
import type { JsonObject } from '../protocol/types.ts';
import { utf8ByteLength } from '../protocol/utf8.ts';
import { createInboundGate, type InboundGate, responses } from './inbound.ts';
import { BodyLengthMismatch, wholeBody, exactChunks } from './streamed-body.ts';
import {
  defaultTransportLimits,
  type FederationBody,
  type FederationRequest,
  type FederationResponse,
  PeerProtocolError,
  type PeerState,
  type PeerTransport,
  PeerUnreachable,
  type RequestOptions,
  StreamedBody,
  type StreamingResponse,
  type TransportLimits,
} from './transport.ts';

export interface MemoryNetwork {
  /** Joins `serverName` to the network; every other member sees it come `up`. */
  transport(serverName: string, limits?: Partial<TransportLimits>): PeerTransport;
  /** Cuts `serverName` off from everyone (both directions), as a network partition would. */
  disconnect(serverName: string): void;
  /** Heals the partition made by disconnect. */
  reconnect(serverName: string): void;
  /**
   * Requests to `serverName` time out while its connections stay up (no
   * `down`, and no `up` after): a stopped process, or a tab the browser froze.
   */
  stall(serverName: string): void;
  /** Ends a stall: requests are answered again. */
  unstall(serverName: string): void;
}

interface Member {
  readonly name: string;
  readonly limits: TransportLimits;
  readonly gate: InboundGate;
  readonly listeners: ((serverName: string, state: PeerState) => void)[];
}

export function createMemoryNetwork(clock: Clock): MemoryNetwork {
  const members = new Map<string, Member>();
  const cut = new Set<string>();
  const stalled = new Set<string>();
  const reachable = (a: string, b: string) =>
    a !== b && members.has(a) && members.has(b) && !cut.has(a) && !cut.has(b);

  /** Tells both ends of every link that changes with `name` (on a later tick, as a real network would). */
  const announce = (name: string, state: PeerState) => {
    const others = [...members.values()].filter((m) => reachable(name, m.name));
    const self = members.get(name);
    void clock.sleep(0).then(() => {
      for (const other of others) {
        emit(other, name, state);
        if (self) emit(self, other.name, state);
      }
    });
  };

  const transport = (serverName: string, overrides: Partial<TransportLimits> = {}): PeerTransport => {
    if (members.has(serverName)) throw new Error(`${serverName} is already on this network`);
    const limits = { ...defaultTransportLimits, ...overrides };
    const member: Member = { name: serverName, limits, gate: createInboundGate(limits), listeners: [] };
    members.set(serverName, member);
    announce(serverName, 'up');
    let closed = false;
    return {
      serverName,
      request: (to, req, options) => {
        if (closed) return Promise.reject(new PeerUnreachable(to, 'closed', 'transport is closed'));
        return deliver(member, to, req, options);
      },
      requestStream: (to, req, options) => {
        if (closed) return Promise.reject(new PeerUnreachable(to, 'closed', 'transport is closed'));
        return deliverStreaming(member, to, req, options);
      },
      onRequest: (handler) => member.gate.setHandler(handler),
      peers: () => (closed ? [] : [...members.keys()].filter((other) => reachable(serverName, other))),
      onPeer: (listener) => void member.listeners.push(listener),
      close: async () => {
        if (closed) return;
        announce(serverName, 'down');
        closed = true;
        members.delete(serverName);
      },
    };
  };

  const answer = async (from: Member, to: string, req: FederationRequest, timeoutMs?: number) => {
    const target = members.get(to);
    if (!target || !reachable(from.name, to)) throw new PeerUnreachable(to, 'no-route', `no route to ${to}`);
    if (stalled.has(to)) throw new PeerUnreachable(to, 'timeout', `${to} did not answer`);
    return withTimeout(clock, timeoutMs ?? from.limits.requestTimeoutMs, to, serve(from.name, target, req));
  };

  const deliver = async (from: Member, to: string, req: FederationRequest, options?: RequestOptions) =>
    buffered(from, to, await answer(from, to, req, options?.timeoutMs), options?.maxBodyBytes);

  /** The answer as the receiver holds it whole, within its maxResponseBodyBytes (or the request's smaller cap). */
  const buffered = async (
    from: Member,
    to: string,
    res: StreamingResponse,
    cap = Infinity,
  ): Promise<FederationResponse> => {
    const max = Math.min(from.limits.maxResponseBodyBytes, cap);
    const tooLarge = () => new PeerProtocolError(to, 'too-large', `response body exceeds ${max} bytes`);
    if (res.body instanceof StreamedBody) {
      if (res.body.length > max) throw tooLarge();
      return { ...res, body: await received(to, wholeBody(res.body, max)) };
    }
    const body = copyBody(res.body);
    if (body.size > max) throw tooLarge();
    return { ...res, body: body.value };
  };

  const deliverStreaming = async (
    from: Member,
    to: string,
    req: FederationRequest,
    options: { timeoutMs?: number; maxBodyBytes: number },
  ): Promise<StreamingResponse> => {
    const res = await answer(from, to, req, options.timeoutMs);
    if (!(res.body instanceof StreamedBody || res.body instanceof Uint8Array)) return buffered(from, to, res);
    const stream =
      res.body instanceof StreamedBody ? res.body : new StreamedBody(res.body.length, once(res.body));
    if (stream.length > options.maxBodyBytes) {
      void stream.chunks[Symbol.asyncIterator]().return?.();
      throw new PeerProtocolError(to, 'too-large', `response body exceeds ${options.maxBodyBytes} bytes`);
    }
    return { ...res, body: new StreamedBody(stream.length, copiedChunks(to, stream)) };
  };

  const serve = async (from: string, target: Member, req: FederationRequest): Promise<StreamingResponse> => {
    const release = target.gate.admit(from);
    if (!release) return responses.busy();
    let releaseBody: (() => void) | undefined;
    try {
      const body = req.body === undefined ? undefined : copyBody(req.body);
      if (body && body.size > target.limits.maxRequestBodyBytes)
        return responses.tooLarge(target.limits.maxRequestBodyBytes);
      releaseBody = target.gate.holdBody(body?.size ?? 0);
      if (!releaseBody) return responses.busy();
      const query = req.query ? copyQuery(req.query) : {};
      const copy = {
        method: req.method,
        path: req.path,
        query,
        origin: req.origin,
        ...(body && { body: body.value }),
      };
      return await target.gate.dispatch(from, copy);
    } finally {
      // Unlike libp2p, a streamed body's slot is free once the handler answered.
      releaseBody?.();
      release();
    }
  };

  return {
    transport,
    disconnect: (name) => {
      if (cut.has(name)) return;
      announce(name, 'down');
      cut.add(name);
    },
    reconnect: (name) => {
      if (!cut.delete(name)) return;
      announce(name, 'up');
    },
    stall: (name) => void stalled.add(name),
    unstall: (name) => void stalled.delete(name),
  };
}

/** The sender's chunks, copied as the wire would, with their length checked; a mismatch reads as a cut transfer. */
async function* copiedChunks(to: string, body: StreamedBody): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of exactChunks(body)) yield chunk.slice();
  } catch (err) {
    throw cutShort(to, err);
  }
}

async function received<T>(to: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw cutShort(to, err);
  }
}

function cutShort(to: string, err: unknown): Error {
  if (err instanceof BodyLengthMismatch) return new PeerUnreachable(to, 'broken', err.message);
  return err instanceof Error ? err : new Error(String(err));
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

function emit(member: Member, serverName: string, state: PeerState): void {
  for (const listener of member.listeners) listener(serverName, state);
}

/** A deep copy as the wire would make it, with its encoded size. */
function copyBody(body: FederationBody): { value: FederationBody; size: number } {
  if (body instanceof Uint8Array) return { value: body.slice(), size: body.length };
  const json = JSON.stringify(body);
  return { value: JSON.parse(json) as JsonObject, size: utf8ByteLength(json) };
}

function copyQuery(
  query: Readonly<Record<string, string | readonly string[]>>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(query)) out[key] = typeof value === 'string' ? value : [...value];
  return out;
}

async function withTimeout<T>(clock: Clock, ms: number, to: string, work: Promise<T>): Promise<T> {
  let finished = false;
  let settle: () => void = () => {};
  const done = new Promise<void>((resolve) => (settle = resolve));
  const timeout = clock.sleep(ms, done).then((): never | T => {
    if (!finished) throw new PeerUnreachable(to, 'timeout', `no response from ${to} within ${ms} ms`);
    return undefined as never;
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    finished = true;
    settle();
  }
}
