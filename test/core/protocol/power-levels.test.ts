import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parsePowerLevels,
  requiredPowerLevelForEvent,
  roomCreator,
  userPowerLevel,
} from '../../../src/core/protocol/power-levels.ts';
import { roomVersion } from '../../../src/core/protocol/room-version.ts';
import { RoomBuilder } from '../../support/room-builder.ts';

const v9 = roomVersion('9')!;
const v10 = roomVersion('10')!;

describe('parsePowerLevels', () => {
  test('fills in the spec defaults', () => {
    const pl = parsePowerLevels({}, v10);
    assert.equal(pl.usersDefault, 0);
    assert.equal(pl.eventsDefault, 0);
    assert.equal(pl.stateDefault, 50);
    assert.deepEqual([pl.ban, pl.kick, pl.redact, pl.invite], [50, 50, 50, 0]);
    assert.equal(pl.notifications.get('room'), 50);
    assert.equal(pl.fromEvent, true);
  });

  test('without a power levels event, state_default is still 50 (spec since v1.7)', () => {
    const pl = parsePowerLevels(undefined, v10);
    assert.equal(pl.fromEvent, false);
    assert.equal(pl.stateDefault, 50);
  });

  test('reads the levels given', () => {
    const pl = parsePowerLevels(
      {
        users: { '@a:a': 75 },
        users_default: 5,
        events: { 'm.room.name': 60 },
        ban: 70,
        notifications: { room: 20 },
      },
      v10,
    );
    assert.equal(pl.users.get('@a:a'), 75);
    assert.equal(pl.usersDefault, 5);
    assert.equal(pl.events.get('m.room.name'), 60);
    assert.equal(pl.ban, 70);
    assert.equal(pl.notifications.get('room'), 20);
  });

  test('v10 ignores string levels (the auth rules reject them); v9 still reads them', () => {
    const content = { ban: '70', users: { '@a:a': '75' } };
    assert.equal(parsePowerLevels(content, v10).ban, 50);
    assert.equal(parsePowerLevels(content, v10).users.get('@a:a'), undefined);
    assert.equal(parsePowerLevels(content, v9).ban, 70);
    assert.equal(parsePowerLevels(content, v9).users.get('@a:a'), 75);
  });

  test('prototype property names are plain keys', () => {
    const pl = parsePowerLevels({ events: {} }, v10);
    assert.equal(pl.events.get('constructor'), undefined);
    assert.equal(requiredPowerLevelForEvent('constructor', true, pl), 50);
  });
});

describe('requiredPowerLevelForEvent', () => {
  test('events entry, else state_default for state and events_default for the rest', () => {
    const pl = parsePowerLevels(
      { events: { 'm.room.topic': 10 }, state_default: 60, events_default: 5 },
      v10,
    );
    assert.equal(requiredPowerLevelForEvent('m.room.topic', true, pl), 10);
    assert.equal(requiredPowerLevelForEvent('m.room.name', true, pl), 60);
    assert.equal(requiredPowerLevelForEvent('m.room.message', false, pl), 5);
  });
});

describe('userPowerLevel and roomCreator', () => {
  test('with a power levels event: users entry or users_default, creator not special', () => {
    const room = new RoomBuilder({
      creator: '@alice:a',
      powerLevels: { users: { '@bob:b': 30 }, users_default: 3 },
    });
    const pl = room.stateLookup()('m.room.power_levels', '');
    assert.equal(userPowerLevel('@bob:b', pl, room.create), 30);
    assert.equal(userPowerLevel('@carol:c', pl, room.create), 3);
    assert.equal(userPowerLevel('@alice:a', pl, room.create), 3);
  });

  test('without one: the creator has 100, everyone else 0', () => {
    for (const version of ['10', '11']) {
      const room = new RoomBuilder({ version, creator: '@alice:a', powerLevels: null });
      assert.equal(userPowerLevel('@alice:a', undefined, room.create), 100);
      assert.equal(userPowerLevel('@bob:b', undefined, room.create), 0);
    }
  });

  test('v10 takes the creator from content.creator, v11 from the sender', () => {
    const v10Room = new RoomBuilder({
      version: '10',
      creator: '@alice:a',
      createContent: { creator: '@bob:b' },
    });
    assert.equal(roomCreator(v10Room.create, v10Room.version), '@bob:b');
    assert.equal(userPowerLevel('@bob:b', undefined, v10Room.create), 100);
    const v11Room = new RoomBuilder({
      version: '11',
      creator: '@alice:a',
      createContent: { creator: '@bob:b' },
    });
    assert.equal(roomCreator(v11Room.create, v11Room.version), '@alice:a');
    assert.equal(userPowerLevel('@bob:b', undefined, v11Room.create), 0);
  });
});
