// The node's TurnSource (src/core/voip/api.ts): asks its configured relays,
// in order, for TURN credentials (turn-wire.ts) and takes the first good
// answer. Only the relays the user configured are asked, over a direct
// connection, and only URIs naming the host we reach that relay at are kept:
// calls relay through the relay's own TURN server, never a third party's,
// whatever a relay answers. A relay without TURN (no coturn, or
// `--no-turn`) refuses the protocol, and the next one is asked.
import type { Connection, Libp2p, PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { silentLogger, type TurnCredentials, type TurnSource } from '../../core/public.ts';
import { FrameDecoder } from './frames.ts';
import { relayPeerId } from './relay-keeper.ts';
import { readAnswer } from './stream-io.ts';
import { decodeTurnCredentials, TURN_PROTOCOL, turnUriHost } from './turn-wire.ts';

const ASK_TIMEOUT_MS = 5_000;
/**
 * A client asks right after it starts (Element, then again only after 10
 * minutes), which may be while the node is still dialling its relays: wait
 * that long for one to connect before answering that there is no TURN.
 */
const CONNECT_WAIT_MS = 5_000;

export function turnFromRelays(
  libp2p: Libp2p,
  relays: readonly Multiaddr[],
  logger = silentLogger,
): TurnSource {
  const relayIds = relays.map(relayPeerId);
  const directTo = (relayId: PeerId) =>
    libp2p.getConnections(relayId).find((c) => c.status === 'open' && !c.limits);
  return {
    async credentials() {
      if (relayIds.length > 0 && !relayIds.some(directTo)) await anyConnects(libp2p, relayIds);
      for (const relayId of relayIds) {
        const conn = directTo(relayId);
        if (!conn) continue;
        try {
          const answer = await askRelay(conn);
          const host = hostOf(conn);
          const uris = answer?.uris.filter((uri) => turnUriHost(uri) === host) ?? [];
          if (answer && uris.length > 0) return { ...answer, uris };
          logger.warn('a relay answered unusable TURN credentials', { relay: relayId.toString() });
        } catch (err) {
          logger.debug('no TURN credentials from a relay', { relay: relayId.toString(), error: String(err) });
        }
      }
      return undefined;
    },
  };
}

/** Resolves when a connection to one of `relayIds` opens, or after CONNECT_WAIT_MS. */
function anyConnects(libp2p: Libp2p, relayIds: readonly PeerId[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      libp2p.removeEventListener('connection:open', onOpen);
      resolve();
    };
    const onOpen = (evt: CustomEvent<Connection>) => {
      if (!evt.detail.limits && relayIds.some((id) => id.equals(evt.detail.remotePeer))) done();
    };
    const timer = setTimeout(done, CONNECT_WAIT_MS);
    libp2p.addEventListener('connection:open', onOpen);
  });
}

/** The relay's one answer on a new stream; throws when the stream fails, ends early or times out. */
async function askRelay(conn: Connection): Promise<TurnCredentials | undefined> {
  const signal = AbortSignal.timeout(ASK_TIMEOUT_MS);
  const stream = await conn.newStream(TURN_PROTOCOL, { signal });
  try {
    const frames = new FrameDecoder();
    const answer = await readAnswer(stream, signal, (chunk) => {
      const [frame] = frames.push(chunk);
      return frame && { credentials: decodeTurnCredentials(frame) };
    });
    if (!answer) throw new Error('the relay closed the stream without an answer');
    return answer.credentials;
  } finally {
    stream.abort(new Error('done'));
  }
}

/** The host (IP or DNS name) of the address we reached the relay at. */
function hostOf(conn: Connection): string | undefined {
  const component = conn.remoteAddr
    .getComponents()
    .find((c) => ['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(c.name));
  return component?.value;
}
