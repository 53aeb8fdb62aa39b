// The peers the relays' directories told us about, bounded: a relay is
// trusted for addresses only (discovery.ts), and a hostile or overrun one
// could push any number of peer ids, each an entry in libp2p's peer store
// and a dial. At most MAX_DISCOVERED_PEERS are held, from all relays
// together; a peer pushed again counts as new, and past the cap the one
// pushed longest ago is evicted (its addresses leave the peer store unless
// we are connected to it). Peers we talk to are remembered apart, by
// known-peers.ts.

/** Peers held from the relays' pushes, all relays together. */
export const MAX_DISCOVERED_PEERS = 256;
/** Addresses taken from one push of one peer; the rest are dropped. */
export const MAX_DISCOVERED_ADDRS = 16;

export class DiscoveredPeers {
  readonly #max: number;
  /** Peer ids, the least recently pushed first (a Map keeps insertion order). */
  readonly #order = new Map<string, true>();

  constructor(max = MAX_DISCOVERED_PEERS) {
    this.#max = max;
  }

  /** Notes a push of `id`; returns the ids evicted to keep the cap (none while under it). */
  pushed(id: string): string[] {
    this.#order.delete(id);
    this.#order.set(id, true);
    const evicted: string[] = [];
    for (const oldest of this.#order.keys()) {
      if (this.#order.size <= this.#max) break;
      this.#order.delete(oldest);
      evicted.push(oldest);
    }
    return evicted;
  }

  get size(): number {
    return this.#order.size;
  }

  has(id: string): boolean {
    return this.#order.has(id);
  }
}
