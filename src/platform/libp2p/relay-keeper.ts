// Keeps a connection to each configured relay: dials at start without failing
// start-up when a relay is down, and redials with backoff whenever the
// connection drops (js-libp2p #3601: a static relay reservation is never
// re-established after the relay restarts, so we do not rely on libp2p for it).

import type { Libp2p, PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Logger } from '../../core/public.ts';
import { parsePeerId } from './identity.ts';

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

export interface RelayKeeper {
  /** Peer ids of the configured relays (they are infrastructure, not federation peers). */
  readonly relayIds: readonly PeerId[];
  stop(): void;
}

/** The relay's PeerId from its `/p2p/<id>` suffix (which `p2p-matrix relay` prints). */
export function relayPeerId(addr: Multiaddr): PeerId {
  const last = addr.getComponents().at(-1);
  const peerId = last?.name === 'p2p' && last.value ? parsePeerId(last.value) : undefined;
  if (!peerId) throw new TypeError(`relay address ${addr.toString()} must end in /p2p/<peer id>`);
  return peerId;
}

export function keepRelaysConnected(
  libp2p: Libp2p,
  relays: readonly Multiaddr[],
  logger: Logger,
): RelayKeeper {
  const relayIds = relays.map(relayPeerId);
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  const delays = relays.map(() => FIRST_RETRY_MS);
  let stopped = false;

  const attempt = async (index: number) => {
    timers.delete(index);
    if (stopped || libp2p.getConnections(relayIds[index]).length > 0) return;
    try {
      await libp2p.dial(relays[index]!);
      delays[index] = FIRST_RETRY_MS;
    } catch (err) {
      logger.debug('relay dial failed', { relay: relays[index]!.toString(), error: String(err) });
      schedule(index, delays[index]!);
      delays[index] = Math.min(delays[index]! * 2, MAX_RETRY_MS);
    }
  };
  const schedule = (index: number, ms: number) => {
    if (stopped || timers.has(index)) return;
    timers.set(
      index,
      setTimeout(() => void attempt(index), ms),
    );
  };
  const onDisconnect = (evt: CustomEvent<PeerId>) => {
    const index = relayIds.findIndex((id) => id.equals(evt.detail));
    if (index >= 0) schedule(index, delays[index]!);
  };

  libp2p.addEventListener('peer:disconnect', onDisconnect);
  relays.forEach((_, index) => void attempt(index));
  return {
    relayIds,
    stop: () => {
      stopped = true;
      libp2p.removeEventListener('peer:disconnect', onDisconnect);
      for (const timer of timers.values()) clearTimeout(timer);
    },
  };
}
