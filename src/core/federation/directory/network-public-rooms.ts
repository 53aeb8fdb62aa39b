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
import {
  MAX_LISTING_ANSWER_BYTES,
  MAX_ROOMS_PER_PEER,
  readProofs,
  readPublicRoomsPage,
} from './peer-answers.ts';
import { creatorServer, provesAlias } from './room-proof.ts';

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
  /** Servers whose directory listed the room in a recent listing (hints for joins by room id). */
  serversFor(roomId: string): readonly string[];
  /** The rooms peers list with `alias` as canonical alias, with the peers and the proofs they sent, gathered now. */
  aliasClaims(alias: string): Promise<AliasClaim[]>;
}

export interface AliasClaim {
  readonly roomId: string;
  readonly peers: string[];
  readonly proofs: JsonObject[];
}

/** One entry of a peer's answer with the proof it carried. */
interface PeerEntry {
  readonly entry: PublicRoomsChunk;
  readonly proof?: JsonObject;
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
  readonly answers: readonly PeerEntry[][];
}

/** Proven creators kept: checking a version 12 proof costs a signature check. */
const MAX_PROVEN_CREATORS = 2_000;

export function createNetworkDirectory(deps: DirectoryClientDeps): NetworkDirectory {
  const listings = new BoundedCache<string, { at: number; entries: NetworkRoomsChunk[] }>(
    MAX_CACHED_LISTINGS,
  );
  const hints = new BoundedCache<string, readonly string[]>(MAX_ROOM_HINTS);
  /** `peer room` pairs whose proof showed the peer created the room. */
  const provenCreators = new BoundedCache<string, true>(MAX_PROVEN_CREATORS);
  /** Fan-outs under way by filter: identical requests meanwhile share one instead of asking every peer again. */
  const asking = new Map<string, Promise<PeerAnswers>>();

  /** One peer's matching entries; nothing when it does not answer in time or answers nonsense. */
  const askDirectory = async (peer: string, query: PublicRoomsQuery): Promise<PeerEntry[]> => {
    const body = requestBody(query, MAX_ROOMS_PER_PEER);
    const res = await askPeer(
      deps,
      peer,
      { method: 'POST', path: PATH, body },
      deps.timeouts.perPeerMs,
      MAX_LISTING_ANSWER_BYTES,
    );
    if (res?.status !== 200) return [];
    const proofs = readProofs(res.body);
    // A peer may ignore the filter: apply it again here.
    return (readPublicRoomsPage(res.body)?.chunk ?? [])
      .filter((entry) => publicRoomMatches(entry, query))
      .map((entry) => {
        const proof = proofs.get(entry.room_id);
        return proof ? { entry, proof } : { entry };
      });
  };

  /** Whether `peer` created the room: the room id names it, or its proof shows it (room-proof.ts). */
  const createdBy = async (peer: string, { entry, proof }: PeerEntry): Promise<boolean> => {
    const named = serverNameOf(entry.room_id);
    if (named !== undefined) return named === peer;
    const key = `${peer} ${entry.room_id}`;
    if (provenCreators.get(key)) return true;
    // Only a proof naming this peer as the creator is worth a signature check.
    const create = proof?.create;
    const sender =
      typeof create === 'object' && create !== null && !Array.isArray(create) ? create.sender : undefined;
    if (typeof sender !== 'string' || serverNameOf(sender) !== peer) return false;
    const proven = (await creatorServer(deps.ed25519, entry.room_id, proof)) === peer;
    if (proven) provenCreators.set(key, true);
    return proven;
  };

  /**
   * The creator's entry with its canonical alias only when the creator may
   * speak for it: an alias of its own server, or one the room's own state
   * proves (room-proof.ts); a room may not claim another server's alias.
   */
  const withCheckedAlias = async (peer: string, { entry, proof }: PeerEntry): Promise<PublicRoomsChunk> => {
    const alias = entry.canonical_alias;
    if (alias === undefined || serverNameOf(alias) === peer) return entry;
    if (await provesAlias(deps.ed25519, entry.room_id, alias, proof)) return entry;
    const { canonical_alias: _alias, ...rest } = entry;
    return rest;
  };

  /**
   * 1. Ask every reachable peer at once (or join the same question already
   *    out); each has perPeerMs to answer.
   * 2. Merge by room id. Whose entry is shown: ours, else the creator's
   *    (room-proof.ts: the room id's server, or from version 12 the proven
   *    sender of the create event). Never the one claiming most members, or
   *    any peer could restyle others' rooms. The creator's entry keeps its
   *    canonical alias only where the creator may speak for it. A room no creator vouches for
   *    here is still listed (its creator may be offline), from the first
   *    answer, but that peer's word is not believed: its member count shows
   *    as 0 (so it ranks below every vouched-for room) and its alias is left
   *    out.
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
    for (const [i, listed] of answers.entries()) {
      const peer = peers[i]!;
      for (const answer of listed) {
        const { entry } = answer;
        const seen = merged.get(entry.room_id);
        if (seen?.trusted) {
          if (!seen.servers.includes(peer)) seen.servers.push(peer);
          continue;
        }
        const creator = await createdBy(peer, answer);
        const shown = creator ? await withCheckedAlias(peer, answer) : entry;
        if (!seen) merged.set(entry.room_id, { entry: shown, trusted: creator, servers: [peer] });
        else {
          if (!seen.servers.includes(peer)) seen.servers.push(peer);
          if (creator) Object.assign(seen, { entry: shown, trusted: true });
        }
      }
    }
    // 3.
    const entries: NetworkRoomsChunk[] = [];
    for (const { entry, trusted, servers } of merged.values()) {
      entries.push({ ...(trusted ? entry : unbelieved(entry)), [FOUND_ON]: servers });
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
      MAX_LISTING_ANSWER_BYTES,
    );
    if (!res) throw unknown(`The room directory of ${server} is not reachable`, 502);
    const page = res.status === 200 ? readPublicRoomsPage(res.body) : undefined;
    if (!page) throw unknown(`${server} did not answer with a room directory`, 502);
    const chunk = page.chunk.map((entry): NetworkRoomsChunk => ({ ...entry, [FOUND_ON]: [server] }));
    return { ...page, chunk };
  };

  const aliasClaims = async (alias: string): Promise<AliasClaim[]> => {
    const { peers, answers } = await askAll({ searchTerm: alias });
    const claims = new Map<string, AliasClaim>();
    for (const [i, listed] of answers.entries()) {
      for (const { entry, proof } of listed) {
        if (entry.canonical_alias !== alias) continue;
        const claim = claims.get(entry.room_id) ?? { roomId: entry.room_id, peers: [], proofs: [] };
        claims.set(entry.room_id, claim);
        claim.peers.push(peers[i]!);
        if (proof) claim.proofs.push(proof);
      }
    }
    return [...claims.values()];
  };

  return {
    networkPublicRooms,
    serverPublicRooms,
    serversFor: (roomId) => hints.get(roomId) ?? [],
    aliasClaims,
  };
}

/** A room only a peer that did not create it vouches for: listed, but neither its member count nor its alias believed. */
function unbelieved(entry: PublicRoomsChunk): PublicRoomsChunk {
  const { canonical_alias: _alias, ...rest } = entry;
  return { ...rest, num_joined_members: 0 };
}
