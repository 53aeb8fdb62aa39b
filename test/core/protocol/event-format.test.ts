import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  MAX_AUTH_EVENTS,
  MAX_EVENT_DEPTH,
  MAX_PDU_BYTES,
  MAX_PREV_EVENTS,
  nextDepth,
  parseRoomVersion,
  validatePdu,
} from '../../../src/core/protocol/event-format.ts';
import { roomVersion } from '../../../src/core/protocol/room-version.ts';
import type { Verdict } from '../../../src/core/protocol/types.ts';

const SERVER = 'a4f55005fafc8c9424f29a138693c619678207fc395d1a043d3e7b3ec0f1c398';
const EVENT_ID = '$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438';
const v10 = roomVersion('10')!;

/** A well-formed v10 state event; tests change one field at a time. */
function validPdu(): Record<string, unknown> {
  return {
    room_id: `!abc:${SERVER}`,
    sender: `@alice:${SERVER}`,
    origin_server_ts: 1_700_000_000_000,
    type: 'm.room.topic',
    state_key: '',
    content: { topic: 'hello' },
    prev_events: [EVENT_ID],
    auth_events: [EVENT_ID],
    depth: 12,
    hashes: { sha256: 'IX6zuNiJpJPNf70BLleL3HSCpjKeq9Uhu7uUpyDjBmc' },
    signatures: { [SERVER]: { 'ed25519:p2p': 'c2ln' } },
    unsigned: { age: 5 },
  };
}

function reasonOf(verdict: Verdict): string {
  assert.equal(verdict.ok, false, 'expected a rejection');
  return verdict.ok ? '' : verdict.reason;
}

describe('validatePdu', () => {
  test('accepts a well-formed PDU, with or without the optional fields', () => {
    assert.deepEqual(validatePdu(validPdu(), v10), { ok: true });
    const { state_key: _s, unsigned: _u, ...message } = validPdu();
    assert.deepEqual(validatePdu({ ...message, type: 'm.room.message' }, '11'), { ok: true });
    assert.deepEqual(validatePdu({ ...validPdu(), prev_events: [], auth_events: [] }, v10), { ok: true });
  });

  test('names the missing or mistyped field', () => {
    const cases: [string, unknown, RegExp][] = [
      ['room_id', undefined, /^room_id must be a string$/],
      ['room_id', 'abc:x', /^room_id does not start with !$/],
      ['room_id', '!abc', /^room_id has no :server part$/],
      ['room_id', '!abc:bad/name', /^room_id has an invalid server name "bad\/name"$/],
      ['sender', 5, /^sender must be a string$/],
      ['sender', '!alice:x', /^sender does not start with @$/],
      ['sender', '@a\u0000b:x', /^sender contains NUL$/],
      ['origin_server_ts', '1', /^origin_server_ts must be an integer/],
      ['origin_server_ts', -1, /^origin_server_ts must be an integer/],
      ['origin_server_ts', 2 ** 53, /^origin_server_ts must be an integer/],
      ['type', undefined, /^type must be a string$/],
      ['state_key', null, /^state_key must be a string$/],
      ['content', [], /^content must be an object$/],
      ['content', undefined, /^content must be an object$/],
      ['prev_events', {}, /^prev_events must be an array of event ids$/],
      ['prev_events', [5], /^prev_events\[0\] must be a string$/],
      ['prev_events', ['$abc'], /^prev_events\[0\] is not \$ and 43 characters of url-safe unpadded base64$/],
      ['auth_events', [EVENT_ID, 'x'], /^auth_events\[1\] does not start with \$$/],
      ['depth', 1.5, /^depth must be an integer/],
      ['hashes', {}, /^hashes\.sha256 must be a string$/],
      ['signatures', [], /^signatures must be an object$/],
      ['signatures', { x: 'y' }, /^signatures\.x must be an object$/],
      ['signatures', { x: { 'ed25519:1': 1 } }, /^signatures\.x\.ed25519:1 must be a string$/],
      ['unsigned', 'x', /^unsigned must be an object$/],
      ['redacts', 5, /^redacts must be a string$/],
    ];
    for (const [key, value, reason] of cases) {
      const pdu = { ...validPdu(), [key]: value };
      if (value === undefined) delete pdu[key];
      assert.match(reasonOf(validatePdu(pdu, v10)), reason, `${key} = ${JSON.stringify(value)}`);
    }
  });

  test('checks event id formats per room version: standard base64 in v3, url-safe from v4', () => {
    const standard = '$RrGxF28UrHLmoASHndYb9Jb/1SFww2ptmtur9INS438';
    assert.deepEqual(validatePdu({ ...validPdu(), prev_events: [standard], auth_events: [standard] }, '3'), {
      ok: true,
    });
    assert.match(reasonOf(validatePdu({ ...validPdu(), prev_events: [standard] }, '4')), /url-safe/);
    assert.match(
      reasonOf(validatePdu(validPdu(), '3')),
      /prev_events\[0\] is not \$ and 43 characters of standard/,
    );
  });

  test('limits ids, type and state_key to 255 bytes of UTF-8, not 255 characters', () => {
    assert.deepEqual(validatePdu({ ...validPdu(), state_key: 'x'.repeat(255) }, v10), { ok: true });
    assert.match(
      reasonOf(validatePdu({ ...validPdu(), state_key: 'x'.repeat(256) }, v10)),
      /^state_key is longer than 255 bytes$/,
    );
    // 100 characters, 300 bytes.
    assert.match(
      reasonOf(validatePdu({ ...validPdu(), type: '日'.repeat(100) }, v10)),
      /^type is longer than 255 bytes$/,
    );
    const longSender = `@${'a'.repeat(200)}:${SERVER}`;
    assert.match(
      reasonOf(validatePdu({ ...validPdu(), sender: longSender }, v10)),
      /^sender is longer than 255 bytes$/,
    );
    const longRoom = `!${'日'.repeat(64)}:${SERVER}`; // 64 characters of localpart, 192 bytes
    assert.match(
      reasonOf(validatePdu({ ...validPdu(), room_id: longRoom }, v10)),
      /^room_id is longer than 255 bytes$/,
    );
  });

  test('allows at most 20 prev_events and 10 auth_events', () => {
    const ids = (n: number) => Array.from({ length: n }, () => EVENT_ID);
    assert.deepEqual(
      validatePdu(
        { ...validPdu(), prev_events: ids(MAX_PREV_EVENTS), auth_events: ids(MAX_AUTH_EVENTS) },
        v10,
      ),
      {
        ok: true,
      },
    );
    assert.match(
      reasonOf(validatePdu({ ...validPdu(), prev_events: ids(21) }, v10)),
      /^prev_events lists 21 events, more than 20$/,
    );
    assert.match(
      reasonOf(validatePdu({ ...validPdu(), auth_events: ids(11) }, v10)),
      /^auth_events lists 11 events, more than 10$/,
    );
  });

  test('limits the whole PDU to 65536 bytes of canonical JSON', () => {
    const withTopic = (topic: string) => ({ ...validPdu(), content: { topic } });
    const base = JSON.stringify(withTopic('')).length;
    assert.deepEqual(validatePdu(withTopic('x'.repeat(MAX_PDU_BYTES - base)), v10), { ok: true });
    assert.match(
      reasonOf(validatePdu(withTopic('x'.repeat(MAX_PDU_BYTES - base + 1)), v10)),
      /^the PDU is 65537 bytes, more than 65536$/,
    );
    // Multi-byte characters count by their UTF-8 size.
    assert.match(reasonOf(validatePdu(withTopic('日'.repeat(22_000)), v10)), /more than 65536/);
  });

  test('refuses floats and out-of-range integers anywhere, saying where', () => {
    const floaty = { ...validPdu(), content: { topic: 'x', n: [1, 2.5] } };
    assert.equal(
      reasonOf(validatePdu(floaty, v10)),
      'room version 10 requires canonical JSON: content.n[1]: 2.5 is not an integer',
    );
    const huge = { ...validPdu(), unsigned: { big: 2 ** 60 } };
    assert.match(
      reasonOf(validatePdu(huge, v10)),
      /^room version 10 requires canonical JSON: unsigned\.big: /,
    );
    assert.match(
      reasonOf(validatePdu(floaty, '5')),
      /^not hashable: content\.n\[1\]: 2\.5 is not an integer$/,
    );
  });

  test('refuses unknown room versions and the v1/v2 event format', () => {
    assert.deepEqual(validatePdu(validPdu(), 'org.example.custom'), {
      ok: false,
      reason: 'unsupported room version org.example.custom',
    });
    assert.match(reasonOf(validatePdu(validPdu(), '1')), /^unsupported room version 1/);
    assert.match(reasonOf(validatePdu(validPdu(), '2')), /^unsupported room version 2/);
  });

  test('refuses values that are not objects', () => {
    for (const value of [null, 1, 'pdu', [validPdu()], undefined]) {
      assert.equal(reasonOf(validatePdu(value, v10)), 'a PDU must be a JSON object');
    }
  });

  test('never throws, whatever it is given (property test)', () => {
    const anything = fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
      withBoxedValues: true,
    });
    const keys = fc.constantFrom(...Object.keys(validPdu()), 'redacts', 'event_id', '__proto__');
    const isVerdict = (v: Verdict) => v.ok === true || (v.ok === false && typeof v.reason === 'string');
    fc.assert(
      fc.property(anything, fc.constantFrom('3', '4', '10', '11', 'x'), (value, id) =>
        isVerdict(validatePdu(value, id)),
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.dictionary(keys, fc.jsonValue()), (fields) =>
        isVerdict(validatePdu({ ...validPdu(), ...fields }, v10)),
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(keys, anything, (key, value) =>
        isVerdict(validatePdu({ ...validPdu(), [key]: value }, v10)),
      ),
      { numRuns: 300 },
    );
  });

  test('never throws on hostile shapes: deep nesting, throwing getters', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    assert.match(
      reasonOf(validatePdu({ ...validPdu(), content: { deep } }, v10)),
      /nested deeper than 1000 levels/,
    );
    const trap = Object.defineProperty(validPdu(), 'depth', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    assert.equal(reasonOf(validatePdu(trap, v10)), 'malformed PDU: boom');
  });
});

describe('parseRoomVersion', () => {
  test('returns known versions and a reason for the rest', () => {
    assert.deepEqual(parseRoomVersion('11'), { ok: true, version: roomVersion('11') });
    assert.deepEqual(parseRoomVersion('12'), { ok: true, version: roomVersion('12') });
    assert.deepEqual(parseRoomVersion('13'), { ok: false, reason: 'unsupported room version 13' });
    assert.deepEqual(parseRoomVersion(11), { ok: false, reason: 'unsupported room version 11' });
  });
});

describe('nextDepth', () => {
  test('is one more than the deepest prev event', () => {
    assert.equal(nextDepth([]), 1);
    assert.equal(nextDepth([3, 9, 4]), 10);
  });

  test('never passes MAX_EVENT_DEPTH, the largest integer canonical JSON carries', () => {
    assert.equal(MAX_EVENT_DEPTH, 2 ** 53 - 1);
    assert.equal(nextDepth([MAX_EVENT_DEPTH]), MAX_EVENT_DEPTH);
    assert.equal(nextDepth([MAX_EVENT_DEPTH - 1, 5]), MAX_EVENT_DEPTH);
  });
});
