// One directory request to one peer, bounded in time and bytes. The
// directory never waits on a peer longer than its timeout nor reads more than
// the answer's byte cap (peer-answers.ts), and an unreachable or misbehaving
// peer (one answering too much too) is just "no answer": it is logged at debug level, since peers come and
// go all the time in this network.
import type { Clock, Logger } from '../../ports.ts';
import type { Ed25519 } from '../../protocol/ed25519.ts';
import type { JsonObject } from '../../protocol/types.ts';
import type { FederationResponse, PeerTransport } from '../transport.ts';

export interface DirectoryTimeouts {
  /** Each peer's share of a network-wide directory listing (the listing answers within about this). */
  readonly perPeerMs: number;
  /** One named server: `server=` listings, alias and profile queries. */
  readonly singleServerMs: number;
  /** How long a gathered network listing serves its next pages. */
  readonly listingCacheMs: number;
}

/** First results within a second (issue 4): 750 ms per peer leaves room for our own part. */
export const defaultDirectoryTimeouts: DirectoryTimeouts = {
  perPeerMs: 750,
  singleServerMs: 5_000,
  listingCacheMs: 60_000,
};

export interface DirectoryClientDeps {
  readonly transport: Pick<PeerTransport, 'request' | 'peers'>;
  readonly serverName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timeouts: DirectoryTimeouts;
  /** Checks the proofs peers attach to directory entries (room-proof.ts). */
  readonly ed25519: Ed25519;
}

export interface PeerQuery {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly body?: JsonObject;
}

/**
 * The peer's response, or undefined when it could not be reached, did not
 * answer in time or answered more than `maxBytes` (refused before it is read).
 */
export async function askPeer(
  deps: DirectoryClientDeps,
  to: string,
  query: PeerQuery,
  timeoutMs: number,
  maxBytes: number,
): Promise<FederationResponse | undefined> {
  try {
    return await deps.transport.request(
      to,
      { ...query, origin: deps.serverName },
      { timeoutMs, maxBodyBytes: maxBytes },
    );
  } catch (err) {
    deps.logger.debug('directory query got no answer', { to, path: query.path, error: String(err) });
    return undefined;
  }
}
