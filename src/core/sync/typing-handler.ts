// PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId} (spec §11.4.2).
import { forbidden } from '../errors.ts';
import { jsonObjectBody, optionalInteger, requireBoolean } from '../http/json-body.ts';
import { requireRoomId, requireUserId } from '../http/matrix-ids.ts';
import type { HandlerResult, RequestContext } from '../http/route.ts';
import * as rooms from '../rooms/api.ts';
import type { Store } from '../storage/port.ts';
import type { TypingTracker } from './typing.ts';

export interface TypingHandlerDeps {
  readonly store: Store;
  readonly typing: TypingTracker;
}

/** Only the user themselves, joined to the room, may say they are typing there. */
export async function putTyping(deps: TypingHandlerDeps, ctx: RequestContext): Promise<HandlerResult> {
  const roomId = requireRoomId(ctx.params.roomId!);
  const userId = requireUserId(ctx.params.userId!);
  const body = jsonObjectBody(ctx.req);
  const typing = requireBoolean(body, 'typing');
  const timeout = optionalInteger(body, 'timeout', { min: 0 });
  if (userId !== ctx.caller!.userId) throw forbidden('Cannot set the typing state of another user');
  const membership = await deps.store.read(rooms.roomTableNames, (tx) =>
    rooms.membershipOf(tx, roomId, userId),
  );
  if (membership !== 'join') throw forbidden('You are not joined to this room');
  deps.typing.set(roomId, userId, typing, timeout);
  return { body: {} };
}
