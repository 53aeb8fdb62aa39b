// The peers the node has talked to (src/platform/libp2p/known-peers.ts), kept
// in an IndexedDB database of their own, so that a restarted node redials
// them at once. The offscreen document (Chrome) and the event page (Firefox)
// share the extension's origin but have no chrome.storage in the offscreen
// case; IndexedDB is there in both.
import type { KnownPeer, KnownPeerStore } from '../../src/platform/libp2p/known-peers.ts';

export const KNOWN_PEERS_DATABASE = 'p2p-matrix-peers';
const STORE = 'peers';
/** As the Node peer's file: a flood of distinct peers cannot grow the database without bound. */
const MAX_PEERS = 1024;

interface Row extends KnownPeer {
  /** When it was last saved: the oldest are forgotten past MAX_PEERS, and load lists them first. */
  readonly savedAt?: number;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function indexedDbKnownPeers(name = KNOWN_PEERS_DATABASE): KnownPeerStore {
  let db: Promise<IDBDatabase> | undefined;
  const open = () => {
    db ??= (() => {
      const req = indexedDB.open(name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'serverName' });
      return request(req);
    })();
    return db;
  };
  // Strictly increasing within this document, so two saves in one millisecond keep their order.
  let last = 0;
  const stamp = () => {
    last = Math.max(Date.now(), last + 1);
    return last;
  };
  const store = async (mode: IDBTransactionMode) =>
    (await open()).transaction(STORE, mode).objectStore(STORE);
  return {
    async load() {
      const rows = ((await request((await store('readonly')).getAll())) as unknown[]).filter(isKnownPeer);
      return byAge(rows).map(({ serverName, addrs }) => ({ serverName, addrs }));
    },
    async save(peer) {
      const peers = await store('readwrite');
      const row: Row = { serverName: peer.serverName, addrs: [...peer.addrs], savedAt: stamp() };
      await request(peers.put(row));
      const count = await request(peers.count());
      if (count <= MAX_PEERS) return;
      const rows = byAge(((await request(peers.getAll())) as unknown[]).filter(isKnownPeer));
      for (const old of rows.slice(0, count - MAX_PEERS)) await request(peers.delete(old.serverName));
    },
  };
}

function byAge(rows: Row[]): Row[] {
  return rows.sort((a, b) => (a.savedAt ?? 0) - (b.savedAt ?? 0));
}

function isKnownPeer(value: unknown): value is Row {
  const row = value as Partial<KnownPeer> | null;
  return typeof row?.serverName === 'string' && Array.isArray(row.addrs);
}
