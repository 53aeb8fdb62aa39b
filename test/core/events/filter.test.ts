import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MatrixError } from '../../../src/core/errors.ts';
import { parseFilter } from '../../../src/core/events/filter.ts';
import {
  applyFilter,
  eventAllowed,
  globMatch,
  projectFields,
  roomAllowed,
} from '../../../src/core/events/filter-match.ts';

const message = { type: 'm.room.message', sender: '@alice:x', room_id: '!a:x', content: { body: 'hi' } };
const image = { type: 'm.room.message', sender: '@bob:x', room_id: '!a:x', content: { url: 'mxc://x/y' } };
const topic = { type: 'm.room.topic', sender: '@alice:x', room_id: '!b:x', content: { topic: 't' } };

describe('parseFilter', () => {
  test('keeps the spec fields of a full filter', () => {
    const filter = {
      event_fields: ['type', 'content.body'],
      event_format: 'client',
      presence: { not_types: ['*'] },
      room: {
        rooms: ['!a:x'],
        include_leave: true,
        timeline: { limit: 20, types: ['m.room.*'], lazy_load_members: true },
        state: { lazy_load_members: true, include_redundant_members: false },
        ephemeral: { not_types: ['m.typing'] },
      },
      unknown_field: 1,
    };
    const { unknown_field: _, ...expected } = filter;
    assert.deepEqual(parseFilter(filter), expected);
  });

  for (const [name, bad] of [
    ['a non-object', []],
    ['a negative limit', { room: { timeline: { limit: -1 } } }],
    ['a fractional limit', { presence: { limit: 1.5 } }],
    ['types that are not strings', { room: { state: { types: [1] } } }],
    ['a non-boolean flag', { room: { state: { lazy_load_members: 'yes' } } }],
    ['a bad event_format', { event_format: 'xml' }],
    ['a room section that is not an object', { room: [] }],
  ] as const) {
    test(`refuses ${name} with M_BAD_JSON`, () => {
      assert.throws(
        () => parseFilter(bad),
        (err: unknown) => err instanceof MatrixError && err.errcode === 'M_BAD_JSON' && err.status === 400,
      );
    });
  }
});

describe('filter matching', () => {
  test('* matches any run of characters, other characters literally', () => {
    assert.ok(globMatch('m.*', 'm.room.message'));
    assert.ok(globMatch('*', ''));
    assert.ok(globMatch('m.room.*.x', 'm.room.a.b.x'));
    assert.ok(!globMatch('m.*', 'mxroom'));
    assert.ok(!globMatch('m.room', 'm.room.message'));
  });

  test('not_types wins over types', () => {
    assert.ok(!eventAllowed({ types: ['m.*'], not_types: ['m.room.message'] }, message));
    assert.ok(eventAllowed({ types: ['m.*'], not_types: ['m.room.message'] }, topic));
  });

  test('senders and not_senders', () => {
    assert.ok(eventAllowed({ senders: ['@alice:x'] }, message));
    assert.ok(!eventAllowed({ senders: ['@alice:x'] }, image));
    assert.ok(!eventAllowed({ not_senders: ['@alice:x'] }, message));
  });

  test('rooms and not_rooms', () => {
    assert.ok(eventAllowed({ rooms: ['!a:x'] }, message));
    assert.ok(!eventAllowed({ rooms: ['!a:x'] }, topic));
    assert.ok(!roomAllowed({ rooms: ['!a:x'], not_rooms: ['!a:x'] }, '!a:x'));
    assert.ok(roomAllowed(undefined, '!a:x'));
  });

  test('contains_url true keeps only events with a url, false only those without', () => {
    assert.deepEqual(applyFilter({ contains_url: true }, [message, image]), [image]);
    assert.deepEqual(applyFilter({ contains_url: false }, [message, image]), [message]);
  });

  test('limit keeps the first matching events', () => {
    assert.deepEqual(applyFilter({ limit: 1, types: ['m.room.topic'] }, [message, topic, image]), [topic]);
    assert.deepEqual(applyFilter(undefined, [message, topic], 1), [message]);
  });

  test('event_fields keeps only the listed paths, with \\. as a literal dot', () => {
    const event = { type: 't', sender: 's', content: { body: 'b', 'm.key': 1, other: 2 } };
    assert.deepEqual(projectFields(event, ['type', 'content.body', 'content.m\\.key', 'content.missing']), {
      type: 't',
      content: { body: 'b', 'm.key': 1 },
    });
    assert.equal(projectFields(event, undefined), event);
  });
});
