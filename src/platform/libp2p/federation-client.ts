// The calling side of one federation exchange: take a stream (a session kept
// from an earlier exchange, else a new one, also on a relayed, "limited"
// connection, so requests work before any direct upgrade), send the request
// frames while already listening for the response (a peer may refuse early,
// e.g. 413, before the whole body is sent), then read the response within the
// size limit (a big JSON answer may come gzipped, body-encoding.ts), and give
// a session's stream back for the next request.

import type { Connection, Stream } from '@libp2p/interface';
import {
  type FederationRequest,
  type FederationResponse,
  PeerProtocolError,
  PeerUnreachable,
  StreamedBody,
  type StreamingResponse,
} from '../../core/public.ts';
import {
  type AdmitBody,
  BodyRefused,
  decodeBody,
  encodeBody,
  FEDERATION_PROTOCOL,
  FEDERATION_SESSION_PROTOCOL,
  GZIP,
  messageFrames,
  parseResponseHead,
  requestHead,
  type ResponseHead,
  WireError,
} from './federation-wire.ts';
import { gunzip } from './body-encoding.ts';
import { describeFailure } from '../describe-failure.ts';
import { linked } from './deadline.ts';
import type { SessionPool } from './session-pool.ts';
import { readMessage, readStreaming, StreamEnded, writeFrames } from './stream-io.ts';
import type { Frame } from './frames.ts';
import { type Trace, wallClock } from '../trace.ts';
import { newFederationStream } from './webrtc-writes.ts';

export interface ExchangeOptions {
  readonly maxResponseBodyBytes: number;
  /** Aborts on timeout or transport close. */
  readonly signal: AbortSignal;
  /** Where streams kept open between exchanges come from and go back to. */
  readonly sessions: SessionPool;
  /** Benches: the stream taken and the exchange on it, as spans. */
  readonly trace?: Trace;
}

export async function exchange(
  conn: Connection,
  serverName: string,
  req: FederationRequest,
  options: ExchangeOptions,
): Promise<FederationResponse> {
  const frames = [...requestFrames(req, ENCODINGS)];
  const { sessions, signal } = options;
  // Spans (names, clock reads) only while the bench has the trace on.
  const trace = options.trace?.on ? options.trace : undefined;
  const clock = trace ? wallClock : () => 0;
  const taking = clock();
  const lease = await sessions.take(conn, signal);
  const name = trace && `${lease.reused ? 'kept' : 'new'} ${req.method} ${req.path}`;
  trace?.record({ name: `wire> stream ${name}`, start: taking, end: clock() });
  try {
    const sending = clock();
    const response = await exchangeOn(conn, lease.stream, serverName, frames, options);
    trace?.record({ name: `wire> exchange ${name}`, start: sending, end: clock() });
    return response;
  } catch (err) {
    // A kept stream the server ended (idle, or gone with its node) just as we
    // sent: once more on a new stream. Federation requests are idempotent
    // (transaction and event ids), should the first one have been served.
    if (!lease.reused || !(err instanceof StreamEnded) || signal.aborted) throw err;
    return exchangeOn(conn, await sessions.open(conn, signal), serverName, frames, options);
  }
}

async function exchangeOn(
  conn: Connection,
  stream: Stream,
  serverName: string,
  frames: readonly Frame[],
  options: ExchangeOptions,
): Promise<FederationResponse> {
  const session = stream.protocol === FEDERATION_SESSION_PROTOCOL;
  // The writing stops when the exchange is aborted or the answer arrives
  // first (a peer may answer early, e.g. 413). A request written at once (all
  // but big bodies) is never aborted, and its link to the exchange's signal
  // is dropped once written: no AbortSignal.any, no abort() (each builds
  // objects and events per request, issue 13).
  const writing = linked(options.signal);
  let written = false;
  const stopWriting = () => {
    if (!written) writing.abort();
  };
  const reading = readMessage(
    stream,
    options.maxResponseBodyBytes,
    options.signal,
    admitAnswer(conn, options.maxResponseBodyBytes),
  );
  reading.then(stopWriting, stopWriting);
  // A one-shot stream ends our side after the request; a session stays open for the next.
  const sentAll = sendRequest(stream, frames, writing.signal, !session).then((done) => {
    written = true;
    writing.release();
    return done;
  });
  try {
    const message = await reading;
    const response = await toResponse(serverName, message.head, message.body, {
      maxBodyBytes: options.maxResponseBodyBytes,
      asked: ENCODINGS,
    });
    // An early answer leaves our request half-sent: reset the stream instead of ending it cleanly.
    if (!(await sentAll)) stream.abort(new Error('response arrived before the request was sent'));
    else if (session) options.sessions.give(conn, stream);
    return response;
  } catch (err) {
    const cause = err instanceof BodyRefused ? new BeyondConnectionLimit(err.length) : err;
    stream.abort(cause instanceof Error ? cause : new Error(String(cause)));
    throw cause;
  }
}

/**
 * The answer's head declared a body longer than the limited (relayed)
 * connection it came on has left: the relay would cut the connection partway
 * (src/node/relay.ts: 1 MiB, counted over both directions and everything it
 * carried), and with it the WebRTC upgrade's signalling, which goes over that
 * connection (webrtc-upgrade.ts). The stream is reset at the head. Up to a
 * yamux window of the body may still cross the relay before the reset
 * arrives: with less left than that, the relay cuts the connection anyway
 * (libp2p-transport.ts then dials another).
 */
export class BeyondConnectionLimit extends Error {
  override readonly name = 'BeyondConnectionLimit';
  constructor(length: number) {
    super(`an answer of ${length} bytes is more than the relayed connection has left`);
  }
}

/**
 * At the answer's head: a head it cannot be read by, or an encoded answer
 * that would decode past the limit, is refused before its body comes; on a
 * limited connection, only a body within what it has left when the head
 * arrives is admitted (libp2p counts `limits.bytes` down as the connection
 * carries bytes).
 */
function admitAnswer(conn: Connection, maxBodyBytes: number): AdmitBody {
  return (declared, rawHead) => {
    readableHead(rawHead, { maxBodyBytes, asked: ENCODINGS });
    const left = conn.limits?.bytes;
    return left === undefined || BigInt(declared) <= left;
  };
}

export interface StreamingExchangeOptions {
  /** Largest bytes body; a JSON body (an error) stays within maxJsonBytes. */
  readonly maxBodyBytes: number;
  readonly maxJsonBytes: number;
  /** Aborts until the head has arrived (timeout, transport close). */
  readonly headSignal: AbortSignal;
  /** Aborts the body (transport close). */
  readonly signal: AbortSignal;
  /** No pause longer than this while the body is read. */
  readonly idleMs: number;
}

/** An exchange whose bytes answer is read as it arrives (PeerTransport.requestStream). */
export async function exchangeStreaming(
  conn: Connection,
  serverName: string,
  req: FederationRequest,
  options: StreamingExchangeOptions,
): Promise<StreamingResponse> {
  const { headSignal } = options;
  const frames = requestFrames(req);
  // One stream of its own: the body is read at the caller's pace, long after the head.
  // Opening it costs multistream-select's round trip: libp2p 3 declares
  // `negotiateFully: false` but no longer reads it (nothing sends the protocol
  // name with the first frames), so the option is not given.
  const stream = await newFederationStream(conn, FEDERATION_PROTOCOL, {
    signal: headSignal,
    runOnLimitedConnection: true,
  });
  const idleError = () =>
    new PeerUnreachable(serverName, 'timeout', `${serverName} sent nothing for ${options.idleMs} ms`);
  const reading = readStreaming(stream, {
    maxBodyBytes: Math.max(options.maxBodyBytes, options.maxJsonBytes),
    signal: headSignal,
    idleTimeoutMs: options.idleMs,
    idleError,
  });
  // Unlike exchange, the head arriving does not stop the request's writing:
  // the body follows it on the same stream, and ending our side early would
  // cut it. A server that answers early still reads or drops the rest.
  // The link to headSignal is dropped once written, as in `exchange`.
  const writing = linked(headSignal);
  reading.catch(() => writing.abort());
  const sentAll = sendRequest(stream, frames, writing.signal, true).then((done) => {
    writing.release();
    return done;
  });
  try {
    const message = await reading;
    if (!(await sentAll)) throw new Error('the request was not sent');
    const head = parseResponseHead(message.head);
    if (!head) throw new PeerProtocolError(serverName, 'malformed', 'malformed response head');
    const contentType = head.contentType !== undefined ? { contentType: head.contentType } : {};
    if (head.body === 'bytes') {
      if (head.length > options.maxBodyBytes)
        throw new PeerProtocolError(serverName, 'too-large', `body of ${head.length} bytes`);
      const chunks = translated(serverName, message.body, options.signal);
      return { status: head.status, body: new StreamedBody(head.length, chunks), ...contentType };
    }
    if (head.length > options.maxJsonBytes)
      throw new PeerProtocolError(serverName, 'too-large', `JSON body of ${head.length} bytes`);
    const bytes = new Uint8Array(head.length);
    let at = 0;
    for await (const chunk of translated(serverName, message.body, options.signal)) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return await toResponse(serverName, message.head, bytes, {
      maxBodyBytes: options.maxJsonBytes,
      asked: [],
    });
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}

/** The body's chunks with the wire's errors as the port's (PeerUnreachable, PeerProtocolError). */
async function* translated(
  serverName: string,
  chunks: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
  } catch (err) {
    throw toTransportError(err, serverName, new AbortController().signal, signal.aborted);
  }
}

/** What a whole answer may come in (a streamed one is read as it comes: plain). */
const ENCODINGS = [GZIP];

/** The request's frames; throws at once (RangeError) when its head cannot be framed. */
function requestFrames(req: FederationRequest, encodings?: readonly string[]): Iterable<Frame> {
  const { kind, bytes } = encodeBody(req.body);
  return messageFrames(requestHead(req, kind, bytes.length, encodings), bytes);
}

async function sendRequest(
  stream: Stream,
  frames: Iterable<Frame>,
  stop: AbortSignal,
  endAfter: boolean,
): Promise<boolean> {
  try {
    const done = await writeFrames(stream, frames, stop);
    if (done && endAfter) await stream.close({ signal: stop });
    return done;
  } catch {
    // The read side reports what went wrong (reset, timeout); a failed write alone proves nothing.
    return false;
  }
}

/** How an answer's head is held: the largest body, decoded too, and the encodings the request named. */
interface HeadReading {
  readonly maxBodyBytes: number;
  readonly asked: readonly string[];
}

/**
 * The answer's head, when the answer can be read by it: a head that parses,
 * in an encoding the request named if any, decoding within the limit; else
 * WireError. Asked when the head arrives (admitAnswer) and again with the
 * body (toResponse, which the streamed exchange shares).
 */
function readableHead(rawHead: Record<string, unknown>, { maxBodyBytes, asked }: HeadReading): ResponseHead {
  const head = parseResponseHead(rawHead);
  if (!head) throw new WireError('malformed', 'malformed response head');
  if (head.encoding !== undefined && !asked.includes(head.encoding))
    throw new WireError('malformed', `an answer in ${head.encoding}, not asked for`);
  if (head.decoded !== undefined && head.decoded > maxBodyBytes)
    throw new WireError('too-large', `body decodes to ${head.decoded} bytes, over ${maxBodyBytes}`);
  return head;
}

/** The answer from its HEAD and body bytes, decoded first when encoded (readableHead). */
async function toResponse(
  serverName: string,
  rawHead: Record<string, unknown>,
  bytes: Uint8Array,
  reading: HeadReading,
): Promise<FederationResponse> {
  let head: ResponseHead;
  try {
    head = readableHead(rawHead, reading);
    if (head.decoded !== undefined) bytes = await gunzip(bytes, head.decoded);
  } catch (err) {
    throw err instanceof WireError ? new PeerProtocolError(serverName, err.violation, err.message) : err;
  }
  const decoded = decodeBody(head.body, bytes);
  if (!decoded.ok || decoded.body === undefined) {
    throw new PeerProtocolError(serverName, 'malformed', 'response body is not a JSON object');
  }
  return {
    status: head.status,
    body: decoded.body,
    ...(head.contentType !== undefined && { contentType: head.contentType }),
  };
}

/** Maps whatever an exchange threw to the port's error types. */
export function toTransportError(
  err: unknown,
  serverName: string,
  signal: AbortSignal,
  closed: boolean,
): Error {
  if (err instanceof PeerUnreachable || err instanceof PeerProtocolError) return err;
  if (err instanceof WireError) return new PeerProtocolError(serverName, err.violation, err.message);
  if (closed) return new PeerUnreachable(serverName, 'closed', 'transport is closed');
  if (signal.aborted)
    return new PeerUnreachable(serverName, 'timeout', `no response from ${serverName} in time`);
  return new PeerUnreachable(
    serverName,
    'broken',
    `exchange with ${serverName} failed: ${describeFailure(err)}`,
  );
}
