// Turns a relayed connection to another browser into a direct WebRTC one,
// and keeps federation off WebRTC connections that never came up.
//
// Dialling a peer by id lets libp2p choose among the addresses discovery
// gave it, and it may well pick the plain circuit (`…/p2p-circuit/p2p/<id>`):
// a "limited" connection through the relay, which the relay cuts after two
// minutes or 1 MiB (src/node/relay.ts). So whenever such a connection opens,
// one of the two browsers dials the other's WebRTC address through the same
// relay (`…/p2p-circuit/webrtc/p2p/<id>`); the relay then carries only the
// SDP offer, answer and ICE candidates, and federation moves to the direct
// connection (libp2p-transport.ts prefers connections without limits).
//
// Three rules, each from a failure seen between Firefox ESR 153 and
// Chromium 156 (issue 15):
//  - A WebRTC connection is proven before federation relies on it. When ICE
//    fails, @libp2p/webrtc 6's answering side still returns a connection
//    (readCandidatesUntilConnected swallows the "failed" state), which reads
//    as open and direct but can never open a stream: federation preferred it
//    over the working relayed one and every request to that peer timed out.
//    So each new WebRTC connection must open one stream (the ping protocol)
//    within probeMs; one that cannot is aborted, with the reason logged.
//  - The upgrade dial is made after the `connection:open` event, once no
//    other dial to the peer is pending, with `force`, and what it returns is
//    checked: made from inside the event it joined the relayed dial still
//    finishing in libp2p's dial queue and got the relayed connection back;
//    made beside a dial of libp2p's own (which picked the WebRTC address
//    itself, before the next rule) it opened a second WebRTC connection, and
//    the one closed cut federation requests short. A failed attempt is tried
//    again with backoff, a bounded number of times.
//  - Both browsers often open relayed connections to each other at once; the
//    one with the smaller peer id dials first, the other only if no direct
//    connection has come after followerGraceMs, so two browsers do not
//    race to open two WebRTC connections to each other.
//
// And only this upgrade dials WebRTC addresses (webRTCDialGate, the node's
// connection gater). libp2p's own dials by peer id (reconnecting, opening a
// stream) picked the WebRTC address among the peer's, and while one was
// under way the upgrade waited: between browsers with no route between them
// it was 27 s after they met before the upgrade's first attempt, and 46 s
// before the TURN fallback's connection came, where it is 7 s when only the
// upgrade dials (`node bench/run.ts webrtc-turn`, issue 13).
//
// A first attempt between two browsers on one machine also failed in about
// one meeting in four or five, from a race inside @libp2p/webrtc's dial (its
// `init` data channel closed by the other side before it was seen open): the
// build mends the library (scripts/webrtc-init-channel-plugin.ts).
//
// A peer's first attempt that still fails at once is tried again directly
// (signallingFailureMs).
//
// After `directAttempts` failed attempts, the next ones go through the relay's
// TURN at both ends where the relay serves it (turn-fallback.ts): browsers
// that cannot reach each other directly still get a WebRTC connection,
// relayed by coturn, instead of the circuit's 1 MiB and 2 minutes.

import type { Connection, Libp2p, PeerId } from '@libp2p/interface';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import { type Logger, silentLogger } from '../../core/public.ts';
import { describeFailure } from '../describe-failure.ts';
import type { TurnFallback } from './turn-fallback.ts';

const CIRCUIT = '/p2p-circuit';
const WEBRTC_MULTIPLEXER = '/webrtc';
const PING_PROTOCOL = '/ipfs/ping/1.0.0';

export interface UpgradeTiming {
  /** How long a new WebRTC connection has to open its first stream. */
  readonly probeMs: number;
  /** How long the smaller peer id waits after a relayed connection opens (libp2p may still be dialling the peer). */
  readonly leaderDelayMs: number;
  /** How long the larger peer id waits for the other side to dial. */
  readonly followerGraceMs: number;
  /** Waits before the second, third, … attempt; their number bounds the attempts. */
  readonly retryMs: readonly number[];
  readonly dialTimeoutMs: number;
  /** Attempts without TURN before the next ones use the relay's (when it serves TURN). */
  readonly directAttempts: number;
  /**
   * A peer's first direct attempt to fail sooner than this most likely failed
   * in its signalling (over the relayed connection), not for want of a route,
   * which ICE takes seconds to give up on: it is tried again directly after
   * leaderDelayMs and is not counted (toward directAttempts nor the retries).
   * Only the first, so that a peer whose attempts all fail at once still gets
   * TURN. Between two Chromiums on one machine the first attempt failed so in
   * about one meeting in three (the dialler's signalling stream closed under
   * it, 0.1-0.35 s in), and the next came a second later, through the
   * relay's TURN where it serves one (1 MB/s an allocation: turnLimits).
   */
  readonly signallingFailureMs: number;
}

export const defaultUpgradeTiming: UpgradeTiming = {
  probeMs: 30_000,
  leaderDelayMs: 250,
  followerGraceMs: 3_000,
  retryMs: [1_000, 3_000, 10_000, 30_000, 60_000],
  dialTimeoutMs: 20_000,
  directAttempts: 1,
  signallingFailureMs: 2_000,
};

export interface WebRTCUpgrade {
  /** False for a WebRTC connection not yet proven to carry streams; federation passes it over. */
  usable(conn: Connection): boolean;
  stop(): void;
}

/** The WebRTC address behind the same relay as a relayed connection's remote address, if it has one. */
export function webRTCAddressFor(remoteAddr: string, peerId: string): string | undefined {
  const at = remoteAddr.lastIndexOf(CIRCUIT);
  if (at < 0 || remoteAddr.includes('/webrtc')) return undefined;
  return `${remoteAddr.slice(0, at + CIRCUIT.length)}/webrtc/p2p/${peerId}`;
}

/** Whether we dial first: the smaller peer id does, so that two browsers do not both dial at once. */
export function dialsFirst(self: string, remote: string): boolean {
  return self < remote;
}

const isWebRTC = (conn: Connection) => conn.multiplexer === WEBRTC_MULTIPLEXER;

/** The node's gate on WebRTC dials: only to a peer the upgrade is dialling (see the header). */
export interface WebRTCDialGate {
  /** For the node's connection gater: true for a WebRTC address of a peer not being upgraded. */
  denyDialMultiaddr(addr: Multiaddr): boolean;
  /** The upgrade's own dial to `peer`, open until the returned function is called. */
  open(peer: string): () => void;
}

export function webRTCDialGate(): WebRTCDialGate {
  const dialling = new Map<string, number>();
  return {
    denyDialMultiaddr: (addr) => {
      const components = addr.getComponents();
      const at = components.findIndex((c) => c.name === 'webrtc');
      if (at < 0) return false;
      // The WebRTC address's own peer: the /p2p after /webrtc (one before it is the relay's).
      const peer = components.slice(at + 1).find((c) => c.name === 'p2p')?.value;
      return peer === undefined || !dialling.has(peer);
    },
    open(peer) {
      dialling.set(peer, (dialling.get(peer) ?? 0) + 1);
      let closed = false;
      return () => {
        if (closed) return;
        closed = true;
        const left = dialling.get(peer)! - 1;
        if (left === 0) dialling.delete(peer);
        else dialling.set(peer, left);
      };
    },
  };
}

export function upgradeRelayedToWebRTC(
  libp2p: Libp2p,
  logger: Logger = silentLogger,
  timing: UpgradeTiming = defaultUpgradeTiming,
  fallback?: Pick<TurnFallback, 'prepare'>,
  gate?: Pick<WebRTCDialGate, 'open'>,
): WebRTCUpgrade {
  const self = libp2p.peerId.toString();
  const proven = new WeakSet<Connection>();
  const attempts = new Map<string, number>();
  /** Peers whose first quick failure was tried again directly (see signallingFailureMs). */
  const retriedQuickly = new Set<string>();
  /** A peer proven or gone: its attempts start over. */
  const forget = (peer: string) => {
    attempts.delete(peer);
    retriedQuickly.delete(peer);
  };
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let stopped = false;

  const open = (peer: PeerId) => libp2p.getConnections(peer).filter((c) => c.status === 'open');
  const hasWebRTC = (peer: PeerId) => open(peer).some(isWebRTC);
  /** An open relayed connection to the peer and its WebRTC address behind the same relay, if any. */
  const webRTCTarget = (peer: PeerId) =>
    open(peer)
      .filter((c) => c.limits)
      .map((via) => ({ via, addr: webRTCAddressFor(via.remoteAddr.toString(), peer.toString()) }))
      .find((target): target is { via: Connection; addr: string } => target.addr !== undefined);
  const firstRetryMs = timing.retryMs[0] ?? 1_000;
  const dialling = (peer: PeerId) =>
    libp2p
      .getDialQueue()
      .some((d) => d.peerId?.equals(peer) === true && (d.status === 'queued' || d.status === 'active'));

  const schedule = (peer: PeerId, delayMs: number) => {
    const key = peer.toString();
    if (stopped || timers.has(key)) return;
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        void attempt(peer);
      }, delayMs),
    );
  };

  const attempt = async (peer: PeerId) => {
    const key = peer.toString();
    // Nothing to do while a WebRTC connection is up or being proven (a failed
    // proof closes it, which schedules again), or without a relayed one to signal through.
    const target = stopped || hasWebRTC(peer) ? undefined : webRTCTarget(peer);
    if (!target) return;
    if (dialling(peer)) {
      schedule(peer, firstRetryMs);
      return;
    }
    const done = attempts.get(key) ?? 0;
    attempts.set(key, done + 1);
    let closeTurn: (() => void) | undefined;
    let quickly = false;
    const closeGate = gate?.open(key);
    const started = Date.now();
    try {
      if (done >= timing.directAttempts) closeTurn = await fallback?.prepare(target.via);
      const conn = await libp2p.dial(multiaddr(target.addr), {
        force: true,
        signal: AbortSignal.timeout(timing.dialTimeoutMs),
      });
      if (isWebRTC(conn)) {
        if (closeTurn) logger.info('WebRTC connection through the relay’s TURN', { peer: key });
        return;
      }
      logger.debug('the WebRTC dial returned another connection', {
        peer: key,
        via: conn.remoteAddr.toString(),
      });
    } catch (err) {
      quickly =
        closeTurn === undefined &&
        !retriedQuickly.has(key) &&
        Date.now() - started < timing.signallingFailureMs;
      if (quickly) {
        retriedQuickly.add(key);
        attempts.set(key, done);
      }
      logger.info('no WebRTC connection to a relayed peer yet', {
        peer: key,
        turn: closeTurn !== undefined,
        again: quickly ? 'directly' : undefined,
        error: describeFailure(err),
      });
    } finally {
      closeGate?.();
      closeTurn?.();
    }
    if (quickly) return schedule(peer, timing.leaderDelayMs);
    const wait = timing.retryMs[done];
    if (wait === undefined) {
      logger.warn('gave up upgrading a relayed peer to WebRTC; staying relayed', {
        peer: key,
        attempts: done + 1,
      });
      return;
    }
    schedule(peer, wait);
  };

  const prove = async (conn: Connection) => {
    const peer = conn.remotePeer.toString();
    try {
      const stream = await conn.newStream(PING_PROTOCOL, { signal: AbortSignal.timeout(timing.probeMs) });
      proven.add(conn);
      forget(peer);
      void stream.close().catch(() => {});
    } catch (err) {
      if (conn.status !== 'open' || stopped) return;
      const reason = `a WebRTC connection opened no stream in ${timing.probeMs} ms (ICE failed?): ${describeFailure(err)}`;
      logger.warn('closing a WebRTC connection that carries nothing', { peer, reason });
      conn.abort(new Error(reason));
    }
  };

  const onOpen = (evt: CustomEvent<Connection>) => {
    const conn = evt.detail;
    if (isWebRTC(conn)) {
      void prove(conn);
      return;
    }
    const peer = conn.remotePeer.toString();
    if (!conn.limits || !webRTCAddressFor(conn.remoteAddr.toString(), peer)) return;
    // After the event, never inside it (see the header).
    schedule(conn.remotePeer, dialsFirst(self, peer) ? timing.leaderDelayMs : timing.followerGraceMs);
  };

  const onClose = (evt: CustomEvent<Connection>) => {
    const conn = evt.detail;
    const peer = conn.remotePeer.toString();
    // A peer gone altogether leaves nothing behind: what is kept per peer stays bounded by those connected.
    if (open(conn.remotePeer).length === 0) forget(peer);
    if (!isWebRTC(conn) || stopped) return;
    schedule(conn.remotePeer, dialsFirst(self, peer) ? firstRetryMs : timing.followerGraceMs);
  };

  libp2p.addEventListener('connection:open', onOpen);
  libp2p.addEventListener('connection:close', onClose);
  return {
    usable: (conn) => !isWebRTC(conn) || proven.has(conn),
    stop: () => {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      libp2p.removeEventListener('connection:open', onOpen);
      libp2p.removeEventListener('connection:close', onClose);
    },
  };
}
