// The servers a PeerTransport is connected to, and its `onPeer` listeners:
// what a transport that learns of peers one event at a time keeps. A
// listener hears of changes only, never of a server that was already up
// (or down).
import type { PeerState } from './transport.ts';

export class PeerSet {
  readonly #up = new Set<string>();
  readonly #listeners: ((serverName: string, state: PeerState) => void)[] = [];

  /** The connected servers (PeerTransport.peers). */
  list(): string[] {
    return [...this.#up];
  }

  /** PeerTransport.onPeer. */
  onChange(listener: (serverName: string, state: PeerState) => void): void {
    this.#listeners.push(listener);
  }

  /** Records that `serverName` is `state`; tells the listeners and answers true when that is a change. */
  set(serverName: string, state: PeerState): boolean {
    if (this.#up.has(serverName) === (state === 'up')) return false;
    if (state === 'up') this.#up.add(serverName);
    else this.#up.delete(serverName);
    for (const listener of this.#listeners) listener(serverName, state);
    return true;
  }

  /** Makes `connected` the whole set, telling the listeners of each difference. */
  sync(connected: readonly string[]): void {
    for (const name of this.list()) if (!connected.includes(name)) this.set(name, 'down');
    for (const name of connected) this.set(name, 'up');
  }

  /** Forgets every server without telling anyone (the transport closed). */
  clear(): void {
    this.#up.clear();
  }
}
