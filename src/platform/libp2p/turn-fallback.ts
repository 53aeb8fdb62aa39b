// The relay's TURN for the libp2p WebRTC connection between two browsers,
// used only where a direct connection failed (issue 17).
//
// Between browsers that cannot reach each other's host candidates (each
// behind its own NAT or firewall, no STUN: we ask no third party for our
// address), the WebRTC upgrade of a relayed connection fails, and federation
// stays on the circuit relay, which the relay cuts after 1 MiB or 2 minutes.
// The relay the two already share serves TURN (coturn, src/node/turn), and
// hands its peers credentials (turn-client.ts). So when a direct attempt has
// failed, the next attempt gathers relay candidates on it, at both ends:
// behind NATs one end's relay candidate alone cannot be reached (coturn only
// lets in the peer addresses its allocation was given permissions for, and
// the other end's host address is private).
//
// @libp2p/webrtc 6 takes one `rtcConfiguration` for every RTCPeerConnection,
// dialled or answered, asked as a function when each is made, without saying
// for which peer. So the relay's TURN is added while a fallback window is
// open: the dialler opens one around its fallback dial; before dialling it
// tells the other end over the relayed connection (TURN_HINT_PROTOCOL), which
// opens one for WINDOW_MS, in which the incoming dial's RTCPeerConnection is
// made. Any other connection made in a window allocates on the relay too (at
// most two allocations per end, the two URIs, out of the 128 per peer that
// coturn allows and Element's calls need about 40 of); outside windows, no
// WebRTC connection allocates anything. A peer may open windows on us only
// over a relayed connection, at most MAX_WINDOWS peers at once.
import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import { cachedTurnCredentials, type Logger, silentLogger, type TurnSource } from '../../core/public.ts';
import { systemClock } from '../system-clock.ts';
import { readAnswer } from './stream-io.ts';

export const TURN_HINT_PROTOCOL = '/p2p-matrix/webrtc-turn/1.0.0';
/** How long a peer's hint keeps the relay's TURN on for incoming dials. */
const WINDOW_MS = 30_000;
/** Peers whose windows may be open at once. */
const MAX_WINDOWS = 16;
const HINT_TIMEOUT_MS = 5_000;
const YES = 1;
const NO = 0;

/** One STUN/TURN server, as RTCPeerConnection takes it. */
export interface BrowserIceServer {
  readonly urls: string;
  readonly username?: string;
  readonly credential?: string;
}

/** What RTCPeerConnection is made with (the part we set; also typed where there is no DOM). */
export interface IceConfiguration {
  readonly iceServers: BrowserIceServer[];
}

export interface TurnFallback {
  /** @libp2p/webrtc's rtcConfiguration: the user's ICE servers, and the relay's TURN while a window is open. */
  rtcConfiguration(): Promise<IceConfiguration>;
  /** Serves hints on `libp2p`, with credentials from `turn`. */
  start(libp2p: Libp2p, turn: TurnSource): Promise<void>;
  /**
   * Before a fallback dial to the peer of the relayed `conn`: tells the other
   * end, and opens our own window. Resolves to the window's close, or
   * undefined when the relay serves no TURN (the dial then stays direct).
   */
  prepare(conn: Connection): Promise<(() => void) | undefined>;
  stop(): Promise<void>;
}

export function turnFallback(
  userIceServers: readonly BrowserIceServer[],
  logger: Logger = silentLogger,
): TurnFallback {
  const windows = new Map<string, ReturnType<typeof setTimeout>>();
  let libp2p: Libp2p | undefined;
  let credentials: () => Promise<BrowserIceServer[]> = async () => [];

  const close = (peer: string) => {
    clearTimeout(windows.get(peer));
    windows.delete(peer);
  };
  /** Opens the peer's window; the closer returned closes that window only, not one a later hint opened. */
  const open = (peer: string): (() => void) => {
    close(peer);
    const timer = setTimeout(() => windows.delete(peer), WINDOW_MS);
    windows.set(peer, timer);
    return () => {
      if (windows.get(peer) === timer) close(peer);
    };
  };

  const onHint = async (stream: Stream, connection: Connection) => {
    const peer = connection.remotePeer.toString();
    // Only where signalling goes through a relay, and for a bounded number of peers at once.
    const allowed = connection.limits !== undefined && (windows.has(peer) || windows.size < MAX_WINDOWS);
    const ready = allowed && (await credentials()).length > 0;
    if (ready) open(peer);
    logger.info('a peer asked for WebRTC through the relay’s TURN', { peer, accepted: ready });
    stream.send(Uint8Array.of(ready ? YES : NO));
    await stream.close().catch(() => stream.abort(new Error('could not close')));
  };

  return {
    async rtcConfiguration() {
      const relay = windows.size > 0 ? await credentials() : [];
      return { iceServers: [...userIceServers.map((server) => ({ ...server })), ...relay] };
    },
    async start(node, turn) {
      libp2p = node;
      const cached = cachedTurnCredentials({ clock: systemClock, logger, turn });
      credentials = async () => {
        const held = await cached();
        return (held?.uris ?? []).map((urls) => ({
          urls,
          username: held!.username,
          credential: held!.password,
        }));
      };
      await node.handle(
        TURN_HINT_PROTOCOL,
        (stream, connection) => {
          onHint(stream, connection).catch((err: unknown) => stream.abort(err as Error));
        },
        { runOnLimitedConnection: true, maxInboundStreams: 1 },
      );
    },
    async prepare(conn) {
      if ((await credentials()).length === 0) return undefined;
      const peer = conn.remotePeer.toString();
      const accepted = await hint(conn).catch((err: unknown) => {
        logger.debug('the peer did not answer the TURN hint', { peer, error: String(err) });
        return false;
      });
      // Without the other end's relay candidates ours may still do (where it can reach the relay
      // and the relay can reach its host address): dial anyway.
      logger.info('dialling WebRTC through the relay’s TURN', { peer, otherEndToo: accepted });
      return open(peer);
    },
    async stop() {
      for (const peer of [...windows.keys()]) close(peer);
      await libp2p?.unhandle(TURN_HINT_PROTOCOL).catch(() => {});
    },
  };
}

/** Asks the other end of `conn` to use the relay's TURN for our next dial; true when it will. */
async function hint(conn: Connection): Promise<boolean> {
  const signal = AbortSignal.timeout(HINT_TIMEOUT_MS);
  const stream = await conn.newStream(TURN_HINT_PROTOCOL, { signal, runOnLimitedConnection: true });
  try {
    return (await readAnswer(stream, signal, (chunk) => chunk[0] === YES)) === true;
  } finally {
    stream.abort(new Error('done'));
  }
}
