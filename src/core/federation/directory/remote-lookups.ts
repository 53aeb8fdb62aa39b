// Aliases and profiles of other servers, asked of the server named in the id
// (spec: server-server API "Querying for information").
import { isValidRoomAlias, isValidUserId, parseId } from '../../http/matrix-ids.ts';
import type { ResolvedAlias } from '../../rooms/api.ts';
import { isServerName } from '../server-name.ts';
import { askPeer, type DirectoryClientDeps } from './ask-peer.ts';
import { FOUND_ON, type NetworkDirectory } from './network-public-rooms.ts';
import { readAliasAnswer, readProfileAnswer } from './peer-answers.ts';

const V1 = '/_matrix/federation/v1';

export interface RemoteProfile {
  readonly displayname?: string;
  readonly avatar_url?: string;
}

/**
 * `#alias:<server>` → room id and servers to join through.
 * 1. Ask the alias's server (query/directory). Its 404 means the alias is gone.
 * 2. When that server cannot be reached, look for a room with this canonical
 *    alias in the peers' directories: a peer that joined a public room lists
 *    it too (local aliases), so the room stays reachable without its creator.
 * The alias's own server is named last, as a fallback to join through.
 */
export async function resolveRemoteAlias(
  deps: DirectoryClientDeps,
  network: NetworkDirectory,
  alias: string,
): Promise<ResolvedAlias | undefined> {
  if (!isValidRoomAlias(alias)) return undefined;
  const server = parseId(alias).serverName;
  if (!isServerName(server) || server === deps.serverName) return undefined;
  // 1.
  const query = { room_alias: alias };
  const path = `${V1}/query/directory`;
  const res = await askPeer(deps, server, { method: 'GET', path, query }, deps.timeouts.singleServerMs);
  if (res?.status === 200) {
    const answer = readAliasAnswer(res.body);
    if (!answer) return undefined;
    return { roomId: answer.roomId, servers: withFallback(answer.servers, server, deps.serverName) };
  }
  if (res && res.status !== 429 && res.status < 500) return undefined;
  // 2.
  const listed = await network.gatherPeers({ searchTerm: alias });
  const room = listed.find((entry) => entry.canonical_alias === alias);
  if (!room) return undefined;
  return { roomId: room.room_id, servers: withFallback(room[FOUND_ON], server, deps.serverName) };
}

function withFallback(servers: readonly string[], fallback: string, self: string): string[] {
  return [...new Set([...servers, fallback])].filter((name) => name !== self);
}

/** Another server's user's profile; undefined when the server does not know the user or is unreachable. */
export async function remoteProfile(
  deps: DirectoryClientDeps,
  userId: string,
): Promise<RemoteProfile | undefined> {
  if (!isValidUserId(userId)) return undefined;
  const server = parseId(userId).serverName;
  if (!isServerName(server) || server === deps.serverName) return undefined;
  const path = `${V1}/query/profile`;
  const query = { user_id: userId };
  const res = await askPeer(deps, server, { method: 'GET', path, query }, deps.timeouts.singleServerMs);
  return res?.status === 200 ? readProfileAnswer(res.body) : undefined;
}
