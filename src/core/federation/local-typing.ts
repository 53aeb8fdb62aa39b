// Typing notifications of local users to the other servers of a room (spec:
// server-server API "Typing Notifications"): the typing tracker says a room
// changed; the users who started or stopped typing since the last call each
// get an m.typing EDU.
import type { FederationContext } from './context.ts';
import { typingEdu } from './edus.ts';

/** Diffs the local typers of a room against what was last sent, and queues m.typing for each change. */
export function localTyping(
  fed: Pick<FederationContext, 'serverName' | 'outbound' | 'logger'>,
): (roomId: string, typers: readonly string[]) => void {
  const sent = new Map<string, Set<string>>();
  const local = (userId: string) => userId.endsWith(`:${fed.serverName}`);
  return (roomId, typers) => {
    const now = new Set(typers.filter(local));
    const before = sent.get(roomId) ?? new Set<string>();
    const changes = [
      ...[...now].filter((u) => !before.has(u)).map((u) => typingEdu(roomId, u, true)),
      ...[...before].filter((u) => !now.has(u)).map((u) => typingEdu(roomId, u, false)),
    ];
    if (now.size > 0) sent.set(roomId, now);
    else sent.delete(roomId);
    for (const edu of changes) {
      fed.outbound
        .roomEdu(roomId, edu)
        .catch((err) => fed.logger.warn('typing not queued', { error: String(err) }));
    }
  };
}
