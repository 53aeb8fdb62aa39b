// Aliases and profiles of other servers, asked of the server named in the id
// (spec: server-server API "Querying for information").
import { isProfileKey, isValidRoomAlias, isValidUserId, parseId } from '../../http/matrix-ids.ts';
import type { ResolvedAlias } from '../../rooms/api.ts';
import { isServerName } from '../server-name.ts';
import { askPeer, type DirectoryClientDeps } from './ask-peer.ts';
import type { NetworkDirectory } from './network-public-rooms.ts';
import {
  MAX_QUERY_ANSWER_BYTES,
  type RemoteProfile,
  readAliasAnswer,
  readProfileAnswer,
} from './peer-answers.ts';
import { provesAlias } from './room-proof.ts';

const V1 = '/_matrix/federation/v1';

export type { RemoteProfile };

/** Rooms claiming an alias, and proofs per room, checked at most (each check is a signature or two). */
const MAX_CLAIMS_CHECKED = 10;
const MAX_PROOFS_CHECKED = 3;

/**
 * `#alias:<server>` → room id and servers to join through. Only the alias's
 * server speaks for its aliases (issue 12, finding 4).
 * 1. Ask the alias's server (query/directory). Its 404 means the alias is gone.
 * 2. When that server cannot be reached, look for a room with this canonical
 *    alias in the peers' directories: a peer that joined a public room lists
 *    it too, so the room stays reachable without its creator. But a peer's
 *    word that a room has the alias is not enough: the room's own state must
 *    say so, in a canonical alias event sent by a user of the alias's server
 *    and signed by it (room-proof.ts), which no other peer can make.
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
  const res = await askPeer(
    deps,
    server,
    { method: 'GET', path, query },
    deps.timeouts.singleServerMs,
    MAX_QUERY_ANSWER_BYTES,
  );
  if (res?.status === 200) {
    const answer = readAliasAnswer(res.body);
    if (!answer) return undefined;
    return { roomId: answer.roomId, servers: withFallback(answer.servers, server, deps.serverName) };
  }
  if (res && res.status !== 429 && res.status < 500) return undefined;
  // 2.
  for (const claim of (await network.aliasClaims(alias)).slice(0, MAX_CLAIMS_CHECKED)) {
    for (const proof of claim.proofs.slice(0, MAX_PROOFS_CHECKED)) {
      if (await provesAlias(deps.ed25519, claim.roomId, alias, proof))
        return { roomId: claim.roomId, servers: withFallback(claim.peers, server, deps.serverName) };
    }
  }
  deps.logger.info('no room proved the alias while its server is unreachable', { alias });
  return undefined;
}

function withFallback(servers: readonly string[], fallback: string, self: string): string[] {
  return [...new Set([...servers, fallback])].filter((name) => name !== self);
}

/**
 * Another server's user's profile, or only `field` of it when given (a custom
 * field too, spec v1.16); undefined when the server does not know the user or
 * is unreachable.
 */
export async function remoteProfile(
  deps: DirectoryClientDeps,
  userId: string,
  field?: string,
): Promise<RemoteProfile | undefined> {
  if (!isValidUserId(userId)) return undefined;
  if (field !== undefined && !isProfileKey(field)) return undefined;
  const server = parseId(userId).serverName;
  if (!isServerName(server) || server === deps.serverName) return undefined;
  const path = `${V1}/query/profile`;
  const query: Record<string, string> =
    field === undefined ? { user_id: userId } : { user_id: userId, field };
  const res = await askPeer(
    deps,
    server,
    { method: 'GET', path, query },
    deps.timeouts.singleServerMs,
    MAX_QUERY_ANSWER_BYTES,
  );
  return res?.status === 200 ? readProfileAnswer(res.body, field) : undefined;
}
