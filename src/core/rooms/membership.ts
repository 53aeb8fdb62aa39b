// Membership changes of local users (join, knock, invite, leave, kick, ban, unban)
// as m.room.member events; the auth rules decide, these functions only add
// the checks the client API asks for beyond them and make repeats no-ops.
import { forbidden, notFound } from '../errors.ts';
import type { JsonObject } from '../protocol.ts';
import type { ReadTx } from '../storage/port.ts';
import { memberContent } from './create-room-plan.ts';
import { memberRow } from './members-read.ts';
import type { SendResult } from './room-writer.ts';
import type { RoomsContext } from './rooms-context.ts';
import type { Membership } from './tables.ts';

export interface MembershipRequest {
  readonly roomId: string;
  readonly sender: string;
  /** The user whose membership changes (the sender for join and leave). */
  readonly target: string;
  readonly membership: Membership;
  readonly reason?: string;
  /** Extra content (is_direct for invites). */
  readonly extra?: JsonObject;
  /** Target memberships this change applies to; anything else is 403 (undefined: any). */
  readonly from?: readonly (Membership | undefined)[];
  /** Target memberships for which the request is already done (returns that member event). */
  readonly doneIf?: readonly Membership[];
}

/** Sends the member event of a membership change (see MembershipRequest). */
export async function changeMembership(rooms: RoomsContext, request: MembershipRequest): Promise<SendResult> {
  const { target, membership } = request;
  const withProfile = membership === 'join' || membership === 'invite' || membership === 'knock';
  const profile = withProfile ? await rooms.deps.accounts.profileOf(target) : undefined;
  const content: JsonObject = { ...memberContent(membership, profile), ...request.extra };
  if (request.reason !== undefined) content.reason = request.reason;
  return rooms.writer.send(
    request.roomId,
    { type: 'm.room.member', sender: request.sender, stateKey: target, content },
    { guard: (tx) => membershipGuard(tx, request) },
  );
}

async function membershipGuard(tx: ReadTx, request: MembershipRequest): Promise<string | undefined> {
  const current = await memberRow(tx, request.roomId, request.target);
  if (current && request.doneIf?.includes(current.membership)) return current.event_id;
  if (request.from && !request.from.includes(current?.membership)) {
    throw forbidden(`${request.target} is ${current ? current.membership : 'not'} in the room`);
  }
  return undefined;
}

/** Inviting needs a plausible invitee: unknown local users are 404. */
export async function checkInvitee(rooms: RoomsContext, userId: string): Promise<void> {
  const local = userId.endsWith(`:${rooms.deps.serverName}`);
  if (local && !(await rooms.deps.accounts.userExists(userId))) {
    throw notFound(`Unknown user ${userId}`);
  }
}
