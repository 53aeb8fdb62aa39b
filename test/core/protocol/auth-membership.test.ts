import { describe, test } from 'node:test';
import { checkAuth } from '../../../src/core/protocol/auth-rules.ts';
import type { JsonObject, RoomEvent } from '../../../src/core/protocol/types.ts';
import { RoomBuilder } from '../../support/room-builder.ts';
import { assertAllowed, assertDenied } from '../../support/verdicts.ts';

const ALICE = '@alice:a';
const BOB = '@bob:b';
const CAROL = '@carol:c';

function check(room: RoomBuilder, event: RoomEvent) {
  return checkAuth(event, room.stateLookup(), room.version);
}

/** Checks `sender` setting `target`'s membership against the room's current state. */
function checkMember(
  room: RoomBuilder,
  sender: string,
  target: string,
  membership: string,
  content?: JsonObject,
) {
  return check(room, room.buildMember(sender, target, membership, content));
}

describe('4.1 and 4.8: malformed and unknown memberships', () => {
  test('4.1: no membership in content', () => {
    const room = new RoomBuilder({ creator: ALICE });
    assertDenied(
      check(room, room.build({ type: 'm.room.member', sender: BOB, stateKey: BOB, content: {} })),
      '4.1',
    );
  });

  test('4.1: no state_key', () => {
    const room = new RoomBuilder({ creator: ALICE });
    const event = room.build({ type: 'm.room.member', sender: BOB, content: { membership: 'join' } });
    assertDenied(check(room, event), '4.1');
  });

  test('4.8: an unknown membership', () => {
    const room = new RoomBuilder({ creator: ALICE });
    assertDenied(checkMember(room, ALICE, ALICE, 'hover'), '4.8');
  });
});

describe('4.3: join', () => {
  for (const version of ['10', '11']) {
    test(`v${version}: 4.3.1 the creator joins right after the create event`, () => {
      const room = new RoomBuilder({ version, creator: ALICE, powerLevels: null, joinRule: null });
      const firstJoin = [...room.events.values()][1]!;
      const stateAfterCreate = room.stateLookup(room.stateAfter.get(room.create.event_id));
      assertAllowed(checkAuth(firstJoin, stateAfterCreate, room.version));
    });
  }

  test('4.3.1: a non-creator joining right after the create event is not special', () => {
    const room = new RoomBuilder({ creator: ALICE });
    const join = room.build({
      type: 'm.room.member',
      sender: BOB,
      stateKey: BOB,
      content: { membership: 'join' },
      prevEvents: [room.create.event_id],
    });
    const stateAfterCreate = room.stateLookup(room.stateAfter.get(room.create.event_id));
    assertDenied(checkAuth(join, stateAfterCreate, room.version), '4.3.7');
  });

  test('4.3.1: v10 takes the creator from content.creator, v11 from the sender', () => {
    for (const [version, expectAllowed] of [
      ['10', true],
      ['11', false],
    ] as const) {
      const room = new RoomBuilder({ version, creator: ALICE, createContent: { creator: BOB } });
      const join = room.build({
        type: 'm.room.member',
        sender: BOB,
        stateKey: BOB,
        content: { membership: 'join' },
        prevEvents: [room.create.event_id],
      });
      const verdict = checkAuth(
        join,
        room.stateLookup(room.stateAfter.get(room.create.event_id)),
        room.version,
      );
      if (expectAllowed) assertAllowed(verdict);
      else assertDenied(verdict, '4.3.7');
    }
  });

  test('4.3.2: nobody can join someone else', () => {
    const room = new RoomBuilder({ creator: ALICE });
    assertDenied(checkMember(room, ALICE, BOB, 'join'), '4.3.2');
  });

  test('4.3.3: a banned user cannot join, even a public room', () => {
    const room = new RoomBuilder({ creator: ALICE });
    room.ban(ALICE, BOB);
    assertDenied(checkMember(room, BOB, BOB, 'join'), '4.3.3');
  });

  test('4.3.4: an invite-only room needs an invite', () => {
    const room = new RoomBuilder({ creator: ALICE, joinRule: 'invite' });
    assertDenied(checkMember(room, BOB, BOB, 'join'), '4.3.4');
    room.invite(ALICE, BOB);
    assertAllowed(checkMember(room, BOB, BOB, 'join'));
  });

  test('4.3.4: a joined user may update their join (e.g. a new display name)', () => {
    const room = new RoomBuilder({ creator: ALICE, joinRule: 'invite' });
    assertAllowed(checkMember(room, ALICE, ALICE, 'join', { displayname: 'Alice' }));
  });

  test('4.3.4: a knock room behaves as invite-only for joins', () => {
    const room = new RoomBuilder({ creator: ALICE, joinRule: 'knock' });
    room.member(BOB, BOB, 'knock');
    assertDenied(checkMember(room, BOB, BOB, 'join'), '4.3.4');
    room.invite(ALICE, BOB);
    assertAllowed(checkMember(room, BOB, BOB, 'join'));
  });

  test('4.3.6: anyone may join a public room', () => {
    const room = new RoomBuilder({ creator: ALICE, joinRule: 'public' });
    assertAllowed(checkMember(room, BOB, BOB, 'join'));
  });

  test('4.3.7: no join rules event, or an unknown join rule, rejects', () => {
    const none = new RoomBuilder({ creator: ALICE, joinRule: null });
    assertDenied(checkMember(none, BOB, BOB, 'join'), '4.3.7');
    const odd = new RoomBuilder({ creator: ALICE, joinRule: 'private' });
    assertDenied(checkMember(odd, BOB, BOB, 'join'), '4.3.7');
  });
});

describe('4.3.5: restricted and knock_restricted joins', () => {
  for (const joinRule of ['restricted', 'knock_restricted']) {
    const restrictedRoom = () => {
      const room = new RoomBuilder({ creator: ALICE, joinRule, powerLevels: { invite: 50 } });
      room.invite(ALICE, CAROL);
      room.join(CAROL); // joined, at level 0: too low to invite
      return room;
    };

    test(`${joinRule}: allowed when a joined user who may invite authorises it`, () => {
      const room = new RoomBuilder({ creator: ALICE, joinRule, powerLevels: { invite: 50 } });
      assertAllowed(checkMember(room, BOB, BOB, 'join', { join_authorised_via_users_server: ALICE }));
    });

    test(`${joinRule}: 4.3.5.2 rejected without join_authorised_via_users_server`, () => {
      const room = new RoomBuilder({ creator: ALICE, joinRule });
      assertDenied(checkMember(room, BOB, BOB, 'join'), '4.3.5.2');
    });

    test(`${joinRule}: 4.3.5.2 rejected when the authorising user lacks the invite level`, () => {
      const room = restrictedRoom();
      assertDenied(
        checkMember(room, BOB, BOB, 'join', { join_authorised_via_users_server: CAROL }),
        '4.3.5.2',
      );
    });

    test(`${joinRule}: 4.3.5.2 rejected when the authorising user is not joined`, () => {
      const room = new RoomBuilder({
        creator: ALICE,
        joinRule,
        powerLevels: { users: { [ALICE]: 100, [CAROL]: 100 } },
      });
      assertDenied(
        checkMember(room, BOB, BOB, 'join', { join_authorised_via_users_server: CAROL }),
        '4.3.5.2',
      );
    });

    test(`${joinRule}: 4.3.5.1 an invited user joins without authorisation`, () => {
      const room = new RoomBuilder({ creator: ALICE, joinRule });
      room.invite(ALICE, BOB);
      assertAllowed(checkMember(room, BOB, BOB, 'join'));
    });
  }

  test('4.2: the authorising user’s server must have signed the join', () => {
    const room = new RoomBuilder({ creator: ALICE, joinRule: 'restricted' });
    const join = room.buildMember(BOB, BOB, 'join', { join_authorised_via_users_server: ALICE });
    const unsigned = { ...join, signatures: { b: { 'ed25519:fake': 'fake' } } };
    assertDenied(check(room, unsigned), '4.2');
  });

  test('4.2 applies to whatever membership carries the key', () => {
    const room = new RoomBuilder({ creator: ALICE });
    room.join(BOB);
    const leave = room.buildMember(BOB, BOB, 'leave', { join_authorised_via_users_server: ALICE });
    assertDenied(check(room, { ...leave, signatures: { b: { 'ed25519:fake': 'fake' } } }), '4.2');
  });
});

describe('4.4: invite', () => {
  test('a joined user with the invite level invites', () => {
    const room = new RoomBuilder({ creator: ALICE, joinRule: 'invite' });
    assertAllowed(checkMember(room, ALICE, BOB, 'invite'));
  });

  test('4.4.2: the sender must be joined', () => {
    const room = new RoomBuilder({ creator: ALICE });
    assertDenied(checkMember(room, BOB, CAROL, 'invite'), '4.4.2');
  });

  test('4.4.3: a banned or joined target cannot be invited', () => {
    const room = new RoomBuilder({ creator: ALICE });
    room.join(BOB);
    assertDenied(checkMember(room, ALICE, BOB, 'invite'), '4.4.3');
    room.ban(ALICE, CAROL);
    assertDenied(checkMember(room, ALICE, CAROL, 'invite'), '4.4.3');
  });

  test('4.4.5: the sender needs the invite level', () => {
    const room = new RoomBuilder({ creator: ALICE, powerLevels: { invite: 50 } });
    room.join(BOB);
    assertDenied(checkMember(room, BOB, CAROL, 'invite'), '4.4.5');
  });

  test('re-inviting an invited or knocking user is allowed', () => {
    const room = new RoomBuilder({ creator: ALICE, joinRule: 'knock' });
    room.invite(ALICE, BOB);
    assertAllowed(checkMember(room, ALICE, BOB, 'invite'));
    room.member(CAROL, CAROL, 'knock');
    assertAllowed(checkMember(room, ALICE, CAROL, 'invite'));
  });
});

describe('4.5: leave, kick and unban', () => {
  test('4.5.1: users leave, reject invites and rescind knocks themselves', () => {
    const room = new RoomBuilder({ creator: ALICE, joinRule: 'knock' });
    room.join(BOB);
    assertAllowed(checkMember(room, BOB, BOB, 'leave'));
    room.invite(ALICE, CAROL);
    assertAllowed(checkMember(room, CAROL, CAROL, 'leave'));
    room.member('@dan:d', '@dan:d', 'knock');
    assertAllowed(checkMember(room, '@dan:d', '@dan:d', 'leave'));
  });

  test('4.5.1: leaving without being in the room, or while banned, is rejected', () => {
    const room = new RoomBuilder({ creator: ALICE });
    assertDenied(checkMember(room, BOB, BOB, 'leave'), '4.5.1');
    room.ban(ALICE, CAROL);
    assertDenied(checkMember(room, CAROL, CAROL, 'leave'), '4.5.1');
  });

  test('4.5.4: a user at the kick level kicks a less powerful user', () => {
    const room = new RoomBuilder({ creator: ALICE });
    room.join(BOB);
    assertAllowed(checkMember(room, ALICE, BOB, 'leave'));
  });

  test('4.5.2: the kicker must be joined', () => {
    const room = new RoomBuilder({ creator: ALICE, powerLevels: { users: { [ALICE]: 100, [CAROL]: 100 } } });
    room.join(BOB);
    assertDenied(checkMember(room, CAROL, BOB, 'leave'), '4.5.2');
  });

  test('4.5.5: kicking needs the kick level and more power than the target', () => {
    const room = new RoomBuilder({
      creator: ALICE,
      powerLevels: { users: { [ALICE]: 100, [BOB]: 50, [CAROL]: 50 } },
    });
    room.join(BOB);
    room.join(CAROL);
    room.join('@dan:d');
    assertDenied(checkMember(room, BOB, CAROL, 'leave'), '4.5.5');
    assertDenied(checkMember(room, BOB, ALICE, 'leave'), '4.5.5');
    assertDenied(checkMember(room, '@dan:d', BOB, 'leave'), '4.5.5');
    assertAllowed(checkMember(room, BOB, '@dan:d', 'leave'));
  });

  test('4.5.3: unbanning needs the ban level, and (4.5.4) the kick level too', () => {
    const room = new RoomBuilder({
      creator: ALICE,
      powerLevels: { ban: 60, kick: 40, users: { [ALICE]: 100, [BOB]: 50, [CAROL]: 70 } },
    });
    room.join(BOB);
    room.join(CAROL);
    room.ban(ALICE, '@dan:d');
    assertDenied(checkMember(room, BOB, '@dan:d', 'leave'), '4.5.3');
    assertAllowed(checkMember(room, CAROL, '@dan:d', 'leave'));
  });
});

describe('4.6: ban', () => {
  test('4.6.2: a user at the ban level bans a less powerful user', () => {
    const room = new RoomBuilder({ creator: ALICE });
    assertAllowed(checkMember(room, ALICE, BOB, 'ban'));
  });

  test('4.6.1: the sender must be joined', () => {
    const room = new RoomBuilder({ creator: ALICE, powerLevels: { users: { [ALICE]: 100, [CAROL]: 100 } } });
    assertDenied(checkMember(room, CAROL, BOB, 'ban'), '4.6.1');
  });

  test('4.6.3: banning needs the ban level and more power than the target', () => {
    const room = new RoomBuilder({ creator: ALICE, powerLevels: { users: { [ALICE]: 100, [CAROL]: 50 } } });
    room.join(BOB);
    room.join(CAROL);
    assertDenied(checkMember(room, BOB, CAROL, 'ban'), '4.6.3');
    assertDenied(checkMember(room, CAROL, ALICE, 'ban'), '4.6.3');
    assertAllowed(checkMember(room, CAROL, BOB, 'ban'));
  });
});

describe('4.7: knock', () => {
  test('a user outside a knock or knock_restricted room may knock', () => {
    for (const joinRule of ['knock', 'knock_restricted']) {
      const room = new RoomBuilder({ creator: ALICE, joinRule });
      assertAllowed(checkMember(room, BOB, BOB, 'knock'));
    }
  });

  test('4.7.1: other join rules do not allow knocking', () => {
    for (const joinRule of ['invite', 'public', 'restricted']) {
      const room = new RoomBuilder({ creator: ALICE, joinRule });
      assertDenied(checkMember(room, BOB, BOB, 'knock'), '4.7.1');
    }
  });

  test('4.7.2: nobody knocks for someone else', () => {
    const room = new RoomBuilder({ creator: ALICE, joinRule: 'knock' });
    assertDenied(checkMember(room, ALICE, BOB, 'knock'), '4.7.2');
  });

  test('4.7.4: joined, invited and banned users cannot knock', () => {
    const room = new RoomBuilder({ creator: ALICE, joinRule: 'knock' });
    assertDenied(checkMember(room, ALICE, ALICE, 'knock'), '4.7.4');
    room.invite(ALICE, BOB);
    assertDenied(checkMember(room, BOB, BOB, 'knock'), '4.7.4');
    room.ban(ALICE, CAROL);
    assertDenied(checkMember(room, CAROL, CAROL, 'knock'), '4.7.4');
  });
});
