// The serving side of `/matrix/federation/1.0.0` (one request per stream)
// and of `/matrix/federation/1.1.0` (one request after another on a stream
// kept open; federation-wire.ts). For each request:
//  1. Name the peer from the connection's key (never from the request).
//  2. Take one of its concurrency slots (else 429 without reading anything).
//  3. Read the request within the size limit and the read timeout
//     (too large: 413 from the HEAD or the first DATA frame past the limit),
//     its declared body held in the budget of all peers (over it: 429 from
//     the HEAD, nothing kept), released with the request's slot whatever
//     happens, the read timeout included.
//  4. Hand it to the inbound gate (origin check, the peer's rate limit,
//     handler) and send the answer, a big JSON one gzipped when the request
//     named gzip (body-encoding.ts).
// A session waits for its next request at most SESSION_IDLE_MS, without a
// slot; it ends after an answer sent without reading the request in full.

import type { Connection, Stream } from '@libp2p/interface';
import {
  createInboundGate,
  type FederationRateLimiter,
  type InboundGate,
  type Logger,
  responses,
  StreamedBody,
  type StreamingResponse,
  type TransportLimits,
} from '../../core/public.ts';
import { FrameKind } from './frames.ts';
import { gzippedAnswer } from './body-encoding.ts';
import {
  BodyRefused,
  decodeBody,
  encodeBody,
  encodedResponseHead,
  GZIP,
  messageFrames,
  parseRequestHead,
  responseHead,
  WireError,
} from './federation-wire.ts';
import { peerIdToServerName } from './identity.ts';
import { type Trace, wallClock } from '../trace.ts';
import { deadline } from './deadline.ts';
import { awaitMessage, readMessage, writeFrames, writeStreamed } from './stream-io.ts';

/**
 * How long a session stream may wait for its next request. Longer than the
 * client keeps an idle stream (federation-client.ts), so that the client is
 * normally the one to end it and never sends into a stream being closed.
 */
export const SESSION_IDLE_MS = 120_000;

export interface FederationServer {
  readonly gate: InboundGate;
  /** `/matrix/federation/1.0.0`: one request. */
  handleStream(stream: Stream, connection: Connection): Promise<void>;
  /** `/matrix/federation/1.1.0`: requests one after another until either side ends the session. */
  handleSession(stream: Stream, connection: Connection): Promise<void>;
}

/** What step 3 produced: a response to send, and whether the request was read to its end. */
interface Outcome {
  readonly response: StreamingResponse;
  readonly readAll: boolean;
  /** The request named gzip among the encodings its client reads. */
  readonly acceptsGzip?: boolean;
}

export function createFederationServer(
  limits: TransportLimits,
  logger: Logger,
  trace?: Trace,
  rate?: FederationRateLimiter,
): FederationServer {
  const gate = createInboundGate(limits, logger, rate);

  const receive = async (
    stream: Stream,
    from: string,
    releases: (() => void)[],
  ): Promise<Outcome | undefined> => {
    const admitBody = (declared: number) => {
      const release = gate.holdBody(declared);
      if (release) releases.push(release);
      return release !== undefined;
    };
    let message: Awaited<ReturnType<typeof readMessage>>;
    // Spans (names, clock reads) only while the bench has the trace on.
    const reading = trace?.on ? wallClock() : undefined;
    const readLimit = deadline(limits.readTimeoutMs);
    try {
      message = await readMessage(stream, limits.maxRequestBodyBytes, readLimit.signal, admitBody);
    } catch (err) {
      if (err instanceof BodyRefused) {
        logger.info('refused a federation request body: all peers at the budget', { from });
        return { response: responses.busy(), readAll: false };
      }
      if (!(err instanceof WireError)) return undefined;
      logger.warn('refused a federation request', { from, violation: err.violation, reason: err.message });
      const response =
        err.violation === 'too-large'
          ? responses.tooLarge(limits.maxRequestBodyBytes)
          : responses.badJson(err.message);
      return { response, readAll: false };
    } finally {
      readLimit.clear();
    }
    const head = parseRequestHead(message.head);
    if (reading !== undefined)
      trace?.record({ name: `wire< request ${String(message.head.path)}`, start: reading, end: wallClock() });
    if (!head) return { response: responses.badJson('malformed request head'), readAll: true };
    const decoded = decodeBody(head.body, message.body);
    if (!decoded.ok)
      return { response: responses.notJson('request body is not a JSON object'), readAll: true };
    const { method, path, query, origin } = head;
    const req = { method, path, query, origin, ...(decoded.body !== undefined && { body: decoded.body }) };
    const acceptsGzip = head.encodings?.includes(GZIP) === true;
    return { response: await gate.dispatch(from, req), readAll: true, acceptsGzip };
  };

  /** Serves one request; true when the stream may carry the next (a session's request read in full and answered). */
  const serveOne = async (stream: Stream, from: string, session: boolean): Promise<boolean> => {
    const release = gate.admit(from);
    if (!release) {
      await send(stream, { response: responses.busy(), readAll: false }, limits, false);
      return false;
    }
    const releases = [release];
    try {
      const outcome = await receive(stream, from, releases);
      if (!outcome) {
        stream.abort(new Error('request was not received in full'));
        return false;
      }
      const keepOpen = session && outcome.readAll;
      return (await send(stream, outcome, limits, keepOpen)) && keepOpen;
    } finally {
      for (const r of releases) r();
    }
  };

  const handleStream = async (stream: Stream, connection: Connection): Promise<void> => {
    const from = peerIdToServerName(connection.remotePeer);
    if (!from) return stream.abort(new Error('only Ed25519 peers are servers'));
    await serveOne(stream, from, false);
  };

  const handleSession = async (stream: Stream, connection: Connection): Promise<void> => {
    const from = peerIdToServerName(connection.remotePeer);
    if (!from) return stream.abort(new Error('only Ed25519 peers are servers'));
    while (await awaitMessage(stream, SESSION_IDLE_MS)) {
      if (!(await serveOne(stream, from, true))) return;
    }
    // The client ended the session, or left it idle: end our side too.
    await stream.close({ signal: AbortSignal.timeout(limits.readTimeoutMs) }).catch((err: unknown) => {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    });
  };

  return { gate, handleStream, handleSession };
}

/** Sends the answer, then ends our side unless `keepOpen`; false when it could not be sent (the stream is reset). */
async function send(
  stream: Stream,
  outcome: Outcome,
  limits: TransportLimits,
  keepOpen: boolean,
): Promise<boolean> {
  if (!outcome.readAll) discardRest(stream, limits);
  const { status, body, contentType } = outcome.response;
  if (body instanceof StreamedBody) return sendStreamed(stream, status, body, contentType, limits, keepOpen);
  const { kind, bytes } = encodeBody(body);
  const limit = deadline(limits.readTimeoutMs);
  try {
    const encoded = outcome.acceptsGzip && kind === 'json' ? await gzippedAnswer(bytes) : undefined;
    const head = encoded
      ? encodedResponseHead(status, encoded.length, bytes.length)
      : responseHead(status, kind, bytes.length, contentType);
    if (!(await writeFrames(stream, messageFrames(head, encoded ?? bytes), limit.signal)))
      throw new Error('response not sent in time');
    if (!keepOpen) await stream.close({ signal: limit.signal });
    return true;
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    return false;
  } finally {
    limit.clear();
  }
}

/**
 * A streamed body (media) has no deadline as a whole: it may take long on a
 * slow link, but the receiver must keep taking it (each wait for room on the
 * stream lasts readTimeoutMs at most), and the peer's concurrency slot stays
 * taken meanwhile. A body that does not add up to its announced length resets
 * the stream, so the receiver sees a cut transfer, never a short whole one.
 */
async function sendStreamed(
  stream: Stream,
  status: number,
  body: StreamedBody,
  contentType: string | undefined,
  limits: TransportLimits,
  keepOpen: boolean,
): Promise<boolean> {
  const encoder = new TextEncoder();
  const head = encoder.encode(JSON.stringify(responseHead(status, 'bytes', body.length, contentType)));
  try {
    const frame = { kind: FrameKind.head, payload: head };
    if (!(await writeStreamed(stream, frame, body.length, body.chunks, limits.readTimeoutMs)))
      throw new Error('the body did not match its announced length');
    if (!keepOpen) await stream.close({ signal: AbortSignal.timeout(limits.readTimeoutMs) });
    return true;
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    return false;
  }
}

/**
 * A refused request may still be arriving. Resetting the stream at once could
 * overtake our answer, so the rest is read and dropped (nothing is kept) until
 * the sender stops, which it does on reading the answer; a sender that goes on
 * past the body limit or the read timeout is cut off.
 */
function discardRest(stream: Stream, limits: TransportLimits): void {
  let dropped = 0;
  const cutOff = () => stream.abort(new Error('refused request kept coming'));
  const timer = setTimeout(cutOff, limits.readTimeoutMs);
  stream.addEventListener('message', (evt) => {
    dropped += evt.data.byteLength;
    if (dropped > limits.maxRequestBodyBytes) cutOff();
  });
  stream.addEventListener('close', () => clearTimeout(timer), { once: true });
}
