// Voice over IP (spec: "Voice over IP", `GET /voip/turnServer`): the TURN
// server a client relays a call through when the two ends cannot reach each
// other directly. A P2P homeserver has no operator to configure one: the relay
// the node joined runs one (coturn, `p2p-matrix relay`) and hands its peers
// short-lived credentials by the TURN REST shared-secret scheme over libp2p
// (src/platform/libp2p/turn-client.ts); the platform asks for them through
// TurnSource. Without one the answer is Synapse's: 200 with `{}` (clients then
// call without TURN). No third-party STUN or TURN server is ever named here.
//
// The credentials are the node's (one TURN user per homeserver: the relay
// knows the node by its authenticated libp2p key, not its Matrix users), kept
// until half their lifetime is left, so any number of clients and refreshes
// cost the relay one request per half lifetime.
import type { Route } from '../http/route.ts';
import type { Clock, Logger } from '../ports.ts';

/** What `GET /voip/turnServer` answers (spec field names). */
export interface TurnCredentials {
  readonly username: string;
  readonly password: string;
  readonly uris: readonly string[];
  /** Seconds the credentials stay valid. */
  readonly ttl: number;
}

/** Where TURN credentials come from (the node's relays); undefined when none serves TURN now. */
export interface TurnSource {
  credentials(): Promise<TurnCredentials | undefined>;
}

export interface VoipDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly turn?: TurnSource;
}

export function voipRoutes(deps: VoipDeps): Route[] {
  const credentials = cachedTurnCredentials(deps);
  return [
    {
      method: 'GET',
      path: '/_matrix/client/v3/voip/turnServer',
      auth: 'required',
      handler: async () => ({ body: (await credentials()) ?? {} }),
    },
  ];
}

interface Held {
  readonly credentials: TurnCredentials;
  readonly expiresAt: number;
}

/**
 * The source's credentials with `ttl` counting down, asked again once half
 * their lifetime is gone (also the node's own, for WebRTC through TURN:
 * src/platform/libp2p/turn-fallback.ts).
 */
export function cachedTurnCredentials({
  clock,
  logger,
  turn,
}: VoipDeps): () => Promise<TurnCredentials | undefined> {
  let held: Held | undefined;
  let asking: Promise<Held | undefined> | undefined;
  const ask = async (): Promise<Held | undefined> => {
    try {
      const credentials = await turn?.credentials();
      return credentials && { credentials, expiresAt: clock.now() + credentials.ttl * 1000 };
    } catch (err) {
      // A call without TURN still works wherever the two ends reach each other.
      logger.warn('no TURN credentials from the relays', { error: String(err) });
      return undefined;
    }
  };
  return async () => {
    const fresh = (h: Held | undefined) =>
      h !== undefined && h.expiresAt - clock.now() > (h.credentials.ttl * 1000) / 2;
    if (!fresh(held)) {
      asking ??= ask().finally(() => {
        asking = undefined;
      });
      held = await asking;
    }
    if (!held) return undefined;
    const ttl = Math.round((held.expiresAt - clock.now()) / 1000);
    return { ...held.credentials, ttl };
  };
}
