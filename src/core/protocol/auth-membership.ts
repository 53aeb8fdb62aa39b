// Rule 4 of the room v10/v11 authorisation rules: m.room.member events.

import { type AuthContext, joinRuleOf, levelOf, membershipOf } from './auth-context.ts';
import { serverNameOf } from './identifiers.ts';
import { checkThirdPartyInviteMember } from './auth-third-party-invite.ts';
import { roomCreator } from './power-levels.ts';
import { type Verdict, allowed, denied } from './types.ts';

/** Rule 4: an m.room.member event. */
export function checkMemberEvent(ctx: AuthContext): Verdict {
  const { event, version } = ctx;
  const target = event.state_key;
  const membership = event.content.membership;
  // 4.1
  if (target === undefined || membership === undefined) return denied('4.1: no state_key or no membership');
  // 4.2 The authorising server of a restricted join must have signed it.
  const via = event.content.join_authorised_via_users_server;
  if (version.restrictedJoins && via !== undefined) {
    const server = typeof via === 'string' ? serverNameOf(via) : undefined;
    const signatures = server === undefined ? undefined : event.signatures[server];
    if (!signatures || Object.keys(signatures).length === 0) {
      return denied('4.2: not signed by the server of join_authorised_via_users_server');
    }
  }
  switch (membership) {
    case 'join':
      return checkJoin(ctx, target);
    case 'invite':
      return checkInvite(ctx, target);
    case 'leave':
      return checkLeave(ctx, target);
    case 'ban':
      return checkBan(ctx, target);
    case 'knock':
      if (version.knock) return checkKnock(ctx, target);
  }
  // 4.8
  return denied(`4.8: unknown membership ${JSON.stringify(membership)}`);
}

/** 4.3: membership `join`. */
function checkJoin(ctx: AuthContext, target: string): Verdict {
  const { event, version, create } = ctx;
  // 4.3.1 The creator's own join right after the create event.
  const onlyPrevIsCreate = event.prev_events.length === 1 && event.prev_events[0] === create.event_id;
  if (onlyPrevIsCreate && target === roomCreator(create, version)) return allowed;
  // 4.3.2
  if (event.sender !== target) return denied('4.3.2: sender cannot join another user');
  const current = membershipOf(ctx, target);
  // 4.3.3
  if (current === 'ban') return denied('4.3.3: sender is banned');
  const rule = joinRuleOf(ctx);
  // 4.3.4
  if (rule === 'invite' || rule === 'knock') {
    if (current === 'invite' || current === 'join') return allowed;
    return denied(`4.3.4: join rule is ${rule} and sender is not invited`);
  }
  // 4.3.5
  if (
    (rule === 'restricted' && version.restrictedJoins) ||
    (rule === 'knock_restricted' && version.knockRestricted)
  ) {
    return checkRestrictedJoin(ctx, current);
  }
  // 4.3.6
  if (rule === 'public') return allowed;
  // 4.3.7
  return denied(`4.3.7: join rule ${JSON.stringify(rule ?? null)} does not allow joining`);
}

/** 4.3.5: join rule `restricted` or `knock_restricted`. */
function checkRestrictedJoin(ctx: AuthContext, current: string): Verdict {
  // 4.3.5.1
  if (current === 'join' || current === 'invite') return allowed;
  // 4.3.5.2 Someone joined who may invite vouches for the join.
  const via = ctx.event.content.join_authorised_via_users_server;
  if (typeof via !== 'string')
    return denied('4.3.5.2: restricted join without join_authorised_via_users_server');
  if (membershipOf(ctx, via) !== 'join') return denied('4.3.5.2: the authorising user is not joined');
  const level = levelOf(ctx, via);
  if (level < ctx.powerLevels.invite) {
    return denied(`4.3.5.2: the authorising user has level ${level}, below the invite level`);
  }
  // 4.3.5.3
  return allowed;
}

/** 4.4: membership `invite`. */
function checkInvite(ctx: AuthContext, target: string): Verdict {
  const { event, powerLevels } = ctx;
  // 4.4.1
  if (event.content.third_party_invite !== undefined) return checkThirdPartyInviteMember(ctx, target);
  // 4.4.2
  if (membershipOf(ctx, event.sender) !== 'join') return denied('4.4.2: sender is not joined');
  // 4.4.3
  const current = membershipOf(ctx, target);
  if (current === 'join' || current === 'ban') return denied(`4.4.3: target is ${described(current)}`);
  // 4.4.4
  const senderLevel = levelOf(ctx, event.sender);
  if (senderLevel >= powerLevels.invite) return allowed;
  // 4.4.5
  return denied(`4.4.5: sender level ${senderLevel} is below the invite level ${powerLevels.invite}`);
}

/** 4.5: membership `leave` (leaving, rejecting an invite, kicking, unbanning). */
function checkLeave(ctx: AuthContext, target: string): Verdict {
  const { event, powerLevels } = ctx;
  // 4.5.1
  if (event.sender === target) {
    const current = membershipOf(ctx, target);
    if (current === 'invite' || current === 'join' || current === 'knock') return allowed;
    return denied(`4.5.1: cannot leave from membership ${current}`);
  }
  // 4.5.2
  if (membershipOf(ctx, event.sender) !== 'join') return denied('4.5.2: sender is not joined');
  const senderLevel = levelOf(ctx, event.sender);
  // 4.5.3
  if (membershipOf(ctx, target) === 'ban' && senderLevel < powerLevels.ban) {
    return denied(`4.5.3: unbanning needs the ban level ${powerLevels.ban}, sender has ${senderLevel}`);
  }
  // 4.5.4
  const targetLevel = levelOf(ctx, target);
  if (senderLevel >= powerLevels.kick && targetLevel < senderLevel) return allowed;
  // 4.5.5
  return denied(`4.5.5: kicking needs the kick level ${powerLevels.kick} and more power than the target`);
}

/** 4.6: membership `ban`. */
function checkBan(ctx: AuthContext, target: string): Verdict {
  const { event, powerLevels } = ctx;
  // 4.6.1
  if (membershipOf(ctx, event.sender) !== 'join') return denied('4.6.1: sender is not joined');
  // 4.6.2
  const senderLevel = levelOf(ctx, event.sender);
  if (senderLevel >= powerLevels.ban && levelOf(ctx, target) < senderLevel) return allowed;
  // 4.6.3
  return denied(`4.6.3: banning needs the ban level ${powerLevels.ban} and more power than the target`);
}

/** 4.7: membership `knock`. */
function checkKnock(ctx: AuthContext, target: string): Verdict {
  const { event, version } = ctx;
  const rule = joinRuleOf(ctx);
  // 4.7.1
  if (rule !== 'knock' && !(rule === 'knock_restricted' && version.knockRestricted)) {
    return denied(`4.7.1: join rule ${JSON.stringify(rule ?? null)} does not allow knocking`);
  }
  // 4.7.2
  if (event.sender !== target) return denied('4.7.2: sender cannot knock for another user');
  // 4.7.3
  const current = membershipOf(ctx, target);
  if (current !== 'ban' && current !== 'invite' && current !== 'join') return allowed;
  // 4.7.4
  return denied(`4.7.4: cannot knock while ${described(current)}`);
}

const DESCRIBED: Record<string, string> = { join: 'joined', ban: 'banned', invite: 'invited' };
function described(membership: string): string {
  return DESCRIBED[membership] ?? membership;
}
