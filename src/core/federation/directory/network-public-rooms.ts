// publicRooms across the network (issue 4, "Room directory across the
// network"): our published rooms plus those of every reachable peer, asked in
// parallel with a per-peer timeout so no peer can stall the listing, merged
// and de-duplicated by room id. Each entry says which servers listed it
// (FOUND_ON), which also tells a later join by room id where to go.
import { notFound, unknown } from '../../errors.ts';
import { serverNameOf } from '../../protocol.ts';
import { BoundedCache } from '../../protocol/bounded-cache.ts';
import type { JsonObject } from '../../protocol/types.ts';
import {
  pagePublicRooms,
  parsePublicRoomsSince,
  type PublicRoomsChunk,
  type PublicRoomsPage,
  type PublicRoomsQuery,
  publicRoomMatches,
  sortPublicRooms,
} from '../../rooms/api.ts';
import { isServerName } from '../server-name.ts';
import { askPeer, type DirectoryClientDeps } from './ask-peer.ts';
import { MAX_ROOMS_PER_PEER, readPublicRoomsPage } from './peer-answers.ts';

/**
 * The servers whose directory lists a room, as an extra field of each entry.
 * The spec lets responses carry fields it does not define; clients ignore
 * them, and a namespaced name cannot clash with a future spec field.
 */
export const FOUND_ON = 'p2p_matrix.found_on';

export type NetworkRoomsChunk = PublicRoomsChunk & { [FOUND_ON]: string[] };

const PATH = '/_matrix/federation/v1/publicRooms';
/** Peers asked for one listing; more would make one click a flood. */
const MAX_PEERS_ASKED = 100;
const MAX_CACHED_LISTINGS = 32;
const MAX_ROOM_HINTS = 2_000;

export interface NetworkDirectory {
  /** publicRooms without `server`: `local` (filtered) merged with every reachable peer's directory. */
  networkPublicRooms(query: PublicRoomsQuery, local: readonly PublicRoomsChunk[]): Promise<PublicRoomsPage>;
  /** publicRooms with `server=<peer>`: that peer's directory page (tokens are the peer's). */
  serverPublicRooms(server: string, query: PublicRoomsQuery): Promise<PublicRoomsPage>;
  /** The peers' entries (not ours), gathered now, for the query. */
  gatherPeers(query: PublicRoomsQuery): Promise<NetworkRoomsChunk[]>;
  /** Servers whose directory listed the room in a recent listing (hints for joins by room id). */
  serversFor(roomId: string): readonly string[];
}

/** The filter part of a query as the federation POST body carries it. */
function requestBody(query: PublicRoomsQuery, limit: number | undefined): JsonObject {
  const filter: JsonObject = {};
  if (query.searchTerm !== undefined) filter.generic_search_term = query.searchTerm;
  if (query.roomTypes !== undefined) filter.room_types = [...query.roomTypes];
  const body: JsonObject = Object.keys(filter).length > 0 ? { filter } : {};
  if (limit !== undefined) body.limit = limit;
  return body;
}

/** Cache and coalescing key of a query's filter (paging aside). */
function filterKey(query: PublicRoomsQuery): string {
  return JSON.stringify([query.searchTerm ?? '', query.roomTypes ?? null]);
}

interface PeerAnswers {
  readonly peers: readonly string[];
  readonly answers: readonly PublicRoomsChunk[][];
}

export function createNetworkDirectory(deps: DirectoryClientDeps): NetworkDirectory {
  const listings = new BoundedCache<string, { at: number; entries: NetworkRoomsChunk[] }>(
    MAX_CACHED_LISTINGS,
  );
  const hints = new BoundedCache<string, readonly string[]>(MAX_ROOM_HINTS);
  /** Fan-outs under way by filter: identical requests meanwhile share one instead of asking every peer again. */
  const asking = new Map<string, Promise<PeerAnswers>>();

  /** One peer's matching entries; nothing when it does not answer in time or answers nonsense. */
  const askDirectory = async (peer: string, query: PublicRoomsQuery): Promise<PublicRoomsChunk[]> => {
    const body = requestBody(query, MAX_ROOMS_PER_PEER);
    const res = await askPeer(deps, peer, { method: 'POST', path: PATH, body }, deps.timeouts.perPeerMs);
    if (res?.status !== 200) return [];
    // A peer may ignore the filter: apply it again here.
    return (readPublicRoomsPage(res.body)?.chunk ?? []).filter((entry) => publicRoomMatches(entry, query));
  };

  /**
   * 1. Ask every reachable peer at once (or join the same question already
   *    out); each has perPeerMs to answer.
   * 2. Merge by room id. Whose entry is shown: ours, else that of the room
   *    id's server (the creator's), else the first answer. Never the one
   *    claiming most members, or any peer could restyle others' rooms.
   * 3. Remember where each room was found.
   */
  const askAll = (query: PublicRoomsQuery): Promise<PeerAnswers> => {
    const key = filterKey(query);
    const running = asking.get(key);
    if (running) return running;
    const peers = deps.transport
      .peers()
      .filter((peer) => peer !== deps.serverName)
      .slice(0, MAX_PEERS_ASKED);
    const answering = Promise.all(peers.map((peer) => askDirectory(peer, query)))
      .then((answers) => ({ peers, answers }))
      .finally(() => asking.delete(key));
    asking.set(key, answering);
    return answering;
  };

  const merge = async (query: PublicRoomsQuery, local: readonly PublicRoomsChunk[]) => {
    // 1.
    const { peers, answers } = await askAll(query);
    // 2.
    const merged = new Map<string, { entry: PublicRoomsChunk; trusted: boolean; servers: string[] }>();
    for (const entry of local)
      merged.set(entry.room_id, { entry, trusted: true, servers: [deps.serverName] });
    answers.forEach((entries, i) => {
      const peer = peers[i]!;
      for (const entry of entries) {
        const creator = serverNameOf(entry.room_id) === peer;
        const seen = merged.get(entry.room_id);
        if (!seen) merged.set(entry.room_id, { entry, trusted: creator, servers: [peer] });
        else {
          if (!seen.servers.includes(peer)) seen.servers.push(peer);
          if (creator && !seen.trusted) Object.assign(seen, { entry, trusted: true });
        }
      }
    });
    // 3.
    const entries: NetworkRoomsChunk[] = [];
    for (const { entry, servers } of merged.values()) {
      entries.push({ ...entry, [FOUND_ON]: servers });
      hints.set(entry.room_id, servers);
    }
    return sortPublicRooms(entries);
  };

  /** Later pages come from the listing the first page gathered, so paging is stable. */
  const networkPublicRooms = async (query: PublicRoomsQuery, local: readonly PublicRoomsChunk[]) => {
    const offset = parsePublicRoomsSince(query.since);
    const key = filterKey(query);
    const cached = listings.get(key);
    const fresh = cached && deps.clock.now() - cached.at < deps.timeouts.listingCacheMs;
    let entries = offset > 0 && fresh ? cached.entries : undefined;
    if (!entries) {
      entries = await merge(query, local);
      listings.set(key, { at: deps.clock.now(), entries });
    }
    return pagePublicRooms(entries, offset, query.limit);
  };

  const serverPublicRooms = async (server: string, query: PublicRoomsQuery): Promise<PublicRoomsPage> => {
    if (!isServerName(server)) throw notFound(`${server} is not a server of this network`);
    const body = requestBody(query, query.limit);
    if (query.since !== undefined) body.since = query.since;
    const res = await askPeer(
      deps,
      server,
      { method: 'POST', path: PATH, body },
      deps.timeouts.singleServerMs,
    );
    if (!res) throw unknown(`The room directory of ${server} is not reachable`, 502);
    const page = res.status === 200 ? readPublicRoomsPage(res.body) : undefined;
    if (!page) throw unknown(`${server} did not answer with a room directory`, 502);
    const chunk = page.chunk.map((entry): NetworkRoomsChunk => ({ ...entry, [FOUND_ON]: [server] }));
    return { ...page, chunk };
  };

  const gatherPeers = async (query: PublicRoomsQuery) =>
    (await merge(query, [])).filter((entry) => !entry[FOUND_ON].includes(deps.serverName));

  return {
    networkPublicRooms,
    serverPublicRooms,
    gatherPeers,
    serversFor: (roomId) => hints.get(roomId) ?? [],
  };
}
