// Federation streams kept open for the next request, per connection
// (`/matrix/federation/1.1.0`, federation-wire.ts). Between two browsers a
// new stream is a new WebRTC data channel, a multistream-select round trip
// and libp2p's per-stream bookkeeping on both sides; a stream taken from
// here is ready at once. A stream is lent to one exchange at a time and
// given back only when that exchange ended cleanly; one a peer without
// sessions answered on (`/matrix/federation/1.0.0`) is never kept.

import type { Connection, Stream } from '@libp2p/interface';
import { FEDERATION_PROTOCOL, FEDERATION_SESSION_PROTOCOL } from './federation-wire.ts';
import { newFederationStream } from './webrtc-writes.ts';

/** Idle streams kept per connection; a burst of concurrent requests opens more, closed once done. */
export const MAX_IDLE_PER_CONNECTION = 4;

/**
 * Idle streams kept over all connections: each holds a stream's buffers and
 * timer here and a session on the peer, and a node that talked to many peers
 * once would otherwise keep four for each until CLIENT_IDLE_MS. Past it the
 * stream idle longest is closed.
 */
export const MAX_IDLE_TOTAL = 128;

/** An idle stream is closed after this; shorter than the server's SESSION_IDLE_MS (federation-server.ts). */
export const CLIENT_IDLE_MS = 60_000;

export interface Lease {
  readonly stream: Stream;
  /** True when it carried an exchange before: the server may have ended it meanwhile. */
  readonly reused: boolean;
}

interface Idle {
  readonly conn: Connection;
  readonly stream: Stream;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly forget: () => void;
}

export class SessionPool {
  readonly #idle = new Map<Connection, Idle[]>();
  /** Every idle stream, the one given back longest ago first. */
  readonly #all = new Set<Idle>();
  readonly #maxTotal: number;

  constructor(maxTotal = MAX_IDLE_TOTAL) {
    this.#maxTotal = maxTotal;
  }

  /** An idle stream of `conn`, else a new one (a session where the peer speaks it). */
  async take(conn: Connection, signal: AbortSignal): Promise<Lease> {
    const idle = this.#idle.get(conn);
    while (idle && idle.length > 0) {
      const entry = idle.pop()!;
      this.#drop(conn, entry);
      if (reusable(entry.stream)) return { stream: entry.stream, reused: true };
      entry.stream.abort(new Error('session stream no longer usable'));
    }
    return { stream: await this.open(conn, signal), reused: false };
  }

  /** A new stream: a session where the peer speaks it, else one exchange's. */
  open(conn: Connection, signal: AbortSignal): Promise<Stream> {
    return newFederationStream(conn, [FEDERATION_SESSION_PROTOCOL, FEDERATION_PROTOCOL], {
      signal,
      runOnLimitedConnection: true,
    });
  }

  /** Takes back a stream whose exchange ended cleanly; ends it when it cannot be kept. */
  give(conn: Connection, stream: Stream): void {
    const idle = this.#idle.get(conn) ?? [];
    if (
      stream.protocol !== FEDERATION_SESSION_PROTOCOL ||
      !reusable(stream) ||
      conn.status !== 'open' ||
      idle.length >= MAX_IDLE_PER_CONNECTION
    ) {
      closeQuietly(stream);
      return;
    }
    const entry: Idle = {
      conn,
      stream,
      timer: setTimeout(() => this.#retire(entry), CLIENT_IDLE_MS),
      forget: () => this.#retire(entry),
    };
    // The server ends an idle session, or the connection goes: the stream leaves the pool.
    stream.addEventListener('close', entry.forget);
    stream.addEventListener('remoteCloseWrite', entry.forget);
    idle.push(entry);
    this.#idle.set(conn, idle);
    this.#all.add(entry);
    for (const oldest of this.#all) {
      if (this.#all.size <= this.#maxTotal) break;
      this.#retire(oldest);
    }
  }

  /** Idle streams kept now, of `conn` or of all connections (tests). */
  idleCount(conn?: Connection): number {
    return conn ? (this.#idle.get(conn)?.length ?? 0) : this.#all.size;
  }

  /** Forgets every idle stream (the transport is closing; libp2p closes the streams themselves). */
  clear(): void {
    for (const [conn, idle] of this.#idle) for (const entry of [...idle]) this.#drop(conn, entry);
  }

  /** Drops an idle stream and ends it, if it is still open. */
  #retire(entry: Idle): void {
    this.#drop(entry.conn, entry);
    if (entry.stream.status === 'open') closeQuietly(entry.stream);
  }

  #drop(conn: Connection, entry: Idle): void {
    this.#all.delete(entry);
    clearTimeout(entry.timer);
    entry.stream.removeEventListener('close', entry.forget);
    entry.stream.removeEventListener('remoteCloseWrite', entry.forget);
    const idle = this.#idle.get(conn);
    if (!idle) return;
    const at = idle.indexOf(entry);
    if (at >= 0) idle.splice(at, 1);
    if (idle.length === 0) this.#idle.delete(conn);
  }
}

/** Ends a stream, resetting it where a clean close fails. */
function closeQuietly(stream: Stream): void {
  void stream.close().catch(() => stream.abort(new Error('closing the stream failed')));
}

/** Open both ways with nothing unread: the server has not ended the session nor sent anything unasked. */
function reusable(stream: Stream): boolean {
  return (
    stream.status === 'open' &&
    stream.writeStatus === 'writable' &&
    stream.readStatus === 'readable' &&
    stream.remoteWriteStatus === 'writable' &&
    stream.readBufferLength === 0
  );
}
