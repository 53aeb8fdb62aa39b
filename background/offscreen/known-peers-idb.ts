// The peers the node has talked to (src/platform/libp2p/known-peers.ts), kept
// in an IndexedDB database of their own, so that a restarted node redials
// them at once. The offscreen document (Chrome) and the event page (Firefox)
// share the extension's origin but have no chrome.storage in the offscreen
// case; IndexedDB is there in both.
import type { KnownPeer, KnownPeerStore } from '../../src/platform/libp2p/known-peers.ts';

export const KNOWN_PEERS_DATABASE = 'p2p-matrix-peers';
const STORE = 'peers';

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
  const store = async (mode: IDBTransactionMode) =>
    (await open()).transaction(STORE, mode).objectStore(STORE);
  return {
    async load() {
      const rows = (await request((await store('readonly')).getAll())) as unknown[];
      return rows.filter(isKnownPeer);
    },
    async save(peer) {
      await request((await store('readwrite')).put({ serverName: peer.serverName, addrs: [...peer.addrs] }));
    },
  };
}

function isKnownPeer(value: unknown): value is KnownPeer {
  const row = value as Partial<KnownPeer> | null;
  return typeof row?.serverName === 'string' && Array.isArray(row.addrs);
}
