import { describe, test } from 'node:test';
import { checkAuth } from '../../../src/core/protocol/auth-rules.ts';
import type { JsonObject } from '../../../src/core/protocol/types.ts';
import { RoomBuilder } from '../../support/room-builder.ts';
import { assertAllowed, assertDenied } from '../../support/verdicts.ts';

const ALICE = '@alice:a'; // 100
const MOD = '@mod:m'; // 50
const MOD2 = '@mod2:m'; // 50
const BOB = '@bob:b'; // 10

function room(version = '10') {
  const r = new RoomBuilder({
    version,
    creator: ALICE,
    powerLevels: {
      users: { [ALICE]: 100, [MOD]: 50, [MOD2]: 50, [BOB]: 10 },
      events: { 'm.room.power_levels': 50 },
    },
  });
  for (const user of [MOD, MOD2, BOB]) r.join(user);
  return r;
}

/** Checks `sender` replacing the power levels by the current content edited by `edit`. */
function checkChange(r: RoomBuilder, sender: string, edit: (content: JsonObject) => void) {
  const content = r.powerLevelsContent();
  edit(content);
  const event = r.build({ type: 'm.room.power_levels', sender, stateKey: '', content });
  return checkAuth(event, r.stateLookup(), r.version);
}

const users = (content: JsonObject) => content.users as JsonObject;
const events = (content: JsonObject) => content.events as JsonObject;

describe('9.1 to 9.3: shape of power levels content (v10 and v11)', () => {
  for (const version of ['10', '11']) {
    test(`v${version}: 9.1 string levels are rejected`, () => {
      assertDenied(
        checkChange(room(version), ALICE, (c) => {
          c.ban = '50';
        }),
        '9.1',
      );
    });

    test(`v${version}: 9.2 events and notifications must map to integers`, () => {
      assertDenied(
        checkChange(room(version), ALICE, (c) => {
          events(c)['m.room.name'] = '50';
        }),
        '9.2',
      );
      assertDenied(
        checkChange(room(version), ALICE, (c) => {
          c.notifications = { room: '50' };
        }),
        '9.2',
      );
      assertDenied(
        checkChange(room(version), ALICE, (c) => {
          c.events = [];
        }),
        '9.2',
      );
    });

    test(`v${version}: 9.3 users must map user ids to integers`, () => {
      assertDenied(
        checkChange(room(version), ALICE, (c) => {
          users(c)[BOB] = '10';
        }),
        '9.3',
      );
      assertDenied(
        checkChange(room(version), ALICE, (c) => {
          users(c)['not-a-user'] = 10;
        }),
        '9.3',
      );
      assertDenied(
        checkChange(room(version), ALICE, (c) => {
          users(c)[BOB] = 1.5;
        }),
        '9.3',
      );
    });
  }

  test('9.1: floats and out-of-range integers are not integers', () => {
    assertDenied(
      checkChange(room(), ALICE, (c) => {
        c.kick = 50.5;
      }),
      '9.1',
    );
    assertDenied(
      checkChange(room(), ALICE, (c) => {
        c.kick = 2 ** 53;
      }),
      '9.1',
    );
  });
});

describe('9.4 to 9.10: what a sender may change', () => {
  test('9.4: the first power levels event is allowed whatever it says', () => {
    const r = new RoomBuilder({ creator: ALICE, powerLevels: null });
    const event = r.build({
      type: 'm.room.power_levels',
      sender: ALICE,
      stateKey: '',
      content: { users: { [ALICE]: 9000 }, ban: 9000 },
    });
    assertAllowed(checkAuth(event, r.stateLookup(), r.version));
  });

  test('adding a users entry up to one’s own level is fine', () => {
    assertAllowed(
      checkChange(room(), MOD, (c) => {
        users(c)['@carol:c'] = 50;
      }),
    );
  });

  test('9.9.1: nobody raises a user above their own level', () => {
    assertDenied(
      checkChange(room(), MOD, (c) => {
        users(c)[BOB] = 51;
      }),
      '9.9.1',
    );
    assertDenied(
      checkChange(room(), MOD, (c) => {
        users(c)[MOD] = 60;
      }),
      '9.9.1',
    );
  });

  test('9.8.1: nobody changes a user at or above their own level', () => {
    assertDenied(
      checkChange(room(), MOD, (c) => {
        users(c)[MOD2] = 0;
      }),
      '9.8.1',
    );
    assertDenied(
      checkChange(room(), MOD, (c) => {
        delete users(c)[MOD2];
      }),
      '9.8.1',
    );
    assertDenied(
      checkChange(room(), MOD, (c) => {
        users(c)[ALICE] = 0;
      }),
      '9.8.1',
    );
  });

  test('a user may demote a lower user and themselves', () => {
    assertAllowed(
      checkChange(room(), MOD, (c) => {
        users(c)[BOB] = 0;
      }),
    );
    assertAllowed(
      checkChange(room(), ALICE, (c) => {
        users(c)[ALICE] = 50;
      }),
    );
  });

  test('9.5.2: raising a top-level level above one’s own is rejected', () => {
    assertDenied(
      checkChange(room(), MOD, (c) => {
        c.ban = 60;
      }),
      '9.5.2',
    );
    assertAllowed(
      checkChange(room(), MOD, (c) => {
        c.ban = 40;
      }),
    );
  });

  test('9.5.1: changing or removing a top-level level above one’s own is rejected', () => {
    const r = room();
    r.setPowerLevels(ALICE, { ...r.powerLevelsContent(), kick: 75 });
    assertDenied(
      checkChange(r, MOD, (c) => {
        c.kick = 50;
      }),
      '9.5.1',
    );
    assertDenied(
      checkChange(r, MOD, (c) => {
        delete c.kick;
      }),
      '9.5.1',
    );
  });

  test('9.6.1 and 9.7.1: events entries above one’s own level are out of reach', () => {
    const r = room();
    r.setPowerLevels(ALICE, {
      ...r.powerLevelsContent(),
      events: { 'm.room.power_levels': 50, 'm.room.tombstone': 100 },
    });
    assertDenied(
      checkChange(r, MOD, (c) => {
        events(c)['m.room.tombstone'] = 0;
      }),
      '9.6.1',
    );
    assertDenied(
      checkChange(r, MOD, (c) => {
        events(c)['m.room.topic'] = 75;
      }),
      '9.7.1',
    );
    assertAllowed(
      checkChange(r, MOD, (c) => {
        events(c)['m.room.topic'] = 50;
      }),
    );
  });

  test('9.7.1: notifications levels are guarded the same way', () => {
    assertDenied(
      checkChange(room(), MOD, (c) => {
        c.notifications = { room: 75 };
      }),
      '9.7.1',
    );
  });

  test('7: sending power levels at all needs the events level for it', () => {
    assertDenied(
      checkChange(room(), BOB, (c) => {
        users(c)[BOB] = 0;
      }),
      '7',
    );
  });
});
