// The relay's side of `/p2p-matrix/turn/1.0.0` (turn-wire.ts): each peer
// that asks over a direct connection gets credentials for the relay's coturn
// by the TURN REST shared-secret scheme (the scheme coturn's
// `use-auth-secret` checks, and Synapse's `turn_shared_secret` makes):
// username `<expiry in Unix seconds>:<peer id>`, password
// base64(HMAC-SHA1(secret, username)). The peer id comes from the Noise
// handshake, so coturn's per-user quota is a quota per peer. Nothing is
// stored: an answer costs one HMAC, and a connection may have at most two
// such streams open at once.
import { createHmac } from 'node:crypto';
import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import type { TurnCredentials } from '../../core/public.ts';
import { encodeTurnCredentials, TURN_PROTOCOL } from '../../platform/libp2p/turn-wire.ts';

/** How long credentials stay valid (Synapse's default `turn_user_lifetime`: 1 h). */
export const TURN_CREDENTIALS_TTL_S = 60 * 60;

export interface TurnCredentialsService {
  stop(): Promise<void>;
}

/** Credentials for `user`, valid `ttlS` seconds from `nowMs`. */
export function turnCredentials(
  secret: string,
  uris: readonly string[],
  user: string,
  nowMs: number,
  ttlS = TURN_CREDENTIALS_TTL_S,
): TurnCredentials {
  const username = `${Math.floor(nowMs / 1000) + ttlS}:${user}`;
  const password = createHmac('sha1', secret).update(username).digest('base64');
  return { username, password, uris: [...uris], ttl: ttlS };
}

export async function serveTurnCredentials(
  libp2p: Libp2p,
  turn: { readonly secret: string; readonly uris: readonly string[] },
): Promise<TurnCredentialsService> {
  const handle = (stream: Stream, connection: Connection) => {
    // A relayed connection's peer is someone else's circuit: only our direct peers get TURN.
    if (connection.limits) return stream.abort(new Error('TURN credentials only over a direct connection'));
    const user = connection.remotePeer.toString();
    stream.send(encodeTurnCredentials(turnCredentials(turn.secret, turn.uris, user, Date.now())));
    void stream.close().catch(() => stream.abort(new Error('could not close')));
  };
  await libp2p.handle(TURN_PROTOCOL, handle, { maxInboundStreams: 2 });
  return { stop: () => libp2p.unhandle(TURN_PROTOCOL) };
}
