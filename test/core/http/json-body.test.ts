import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MatrixError } from '../../../src/core/errors.ts';
import {
  jsonObjectBody,
  optionalEnum,
  optionalInteger,
  optionalJsonObjectBody,
  optionalString,
  optionalStringArray,
  requireBoolean,
  requireObject,
  requireString,
} from '../../../src/core/http/json-body.ts';
import type { HsRequest } from '../../../src/core/http/types.ts';

const req = (body?: string | Uint8Array): HsRequest => ({
  method: 'POST',
  path: '/',
  query: {},
  headers: {},
  ...(body === undefined ? {} : { body: typeof body === 'string' ? new TextEncoder().encode(body) : body }),
});

function errcodeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof MatrixError, `threw ${String(err)}`);
    return `${err.status} ${err.errcode}`;
  }
  assert.fail('did not throw');
}

describe('JSON bodies', () => {
  test('an object body parses', () => {
    assert.deepEqual(jsonObjectBody(req('{"a":1}')), { a: 1 });
  });

  test('missing, malformed or non-UTF-8 bodies are 400 M_NOT_JSON', () => {
    assert.equal(
      errcodeOf(() => jsonObjectBody(req())),
      '400 M_NOT_JSON',
    );
    assert.equal(
      errcodeOf(() => jsonObjectBody(req('{"a":'))),
      '400 M_NOT_JSON',
    );
    assert.equal(
      errcodeOf(() => jsonObjectBody(req(new Uint8Array([0x7b, 0xff, 0x7d])))),
      '400 M_NOT_JSON',
    );
  });

  test('JSON that is not an object is 400 M_BAD_JSON', () => {
    for (const body of ['[]', '"x"', '3', 'null'])
      assert.equal(
        errcodeOf(() => jsonObjectBody(req(body))),
        '400 M_BAD_JSON',
      );
  });

  test("JSON nested past canonical JSON's 1,000 levels is 400 M_BAD_JSON before it is parsed", () => {
    // Found by the fuzzer: a filter nested 5,000 levels deep was stored, and storing it overflowed the stack (500).
    const nested = (n: number) => `{"a":${'['.repeat(n)}${']'.repeat(n)}}`;
    assert.deepEqual(Object.keys(jsonObjectBody(req(nested(999)))), ['a']);
    for (const n of [1000, 5000, 100_000])
      assert.equal(
        errcodeOf(() => jsonObjectBody(req(nested(n)))),
        '400 M_BAD_JSON',
      );
    // Brackets inside strings are text, not nesting.
    const text = String(jsonObjectBody(req(`{"a":"${'['.repeat(5000)}\\"["}`)).a);
    assert.equal(text.length, 5002);
  });

  test('an absent or empty body may read as {}', () => {
    assert.deepEqual(optionalJsonObjectBody(req()), {});
    assert.deepEqual(optionalJsonObjectBody(req('')), {});
    assert.equal(
      errcodeOf(() => optionalJsonObjectBody(req('nope'))),
      '400 M_NOT_JSON',
    );
  });
});

describe('field helpers', () => {
  test('a missing required field is 400 M_MISSING_PARAM, a wrong type 400 M_BAD_JSON', () => {
    assert.equal(
      errcodeOf(() => requireString({}, 'name')),
      '400 M_MISSING_PARAM',
    );
    assert.equal(
      errcodeOf(() => requireString({ name: 1 }, 'name')),
      '400 M_BAD_JSON',
    );
    assert.equal(
      errcodeOf(() => requireBoolean({ on: 'yes' }, 'on')),
      '400 M_BAD_JSON',
    );
    assert.equal(
      errcodeOf(() => requireObject({ o: [] }, 'o')),
      '400 M_BAD_JSON',
    );
    assert.equal(
      errcodeOf(() => optionalStringArray({ l: ['a', 2] }, 'l')),
      '400 M_BAD_JSON',
    );
  });

  test('optional fields accept absence and null', () => {
    assert.equal(optionalString({}, 'x'), undefined);
    assert.equal(optionalString({ x: null }, 'x'), undefined);
    assert.equal(optionalString({ x: 'v' }, 'x'), 'v');
  });

  test('integers: floats and huge numbers are M_BAD_JSON, out of range M_INVALID_PARAM', () => {
    assert.equal(optionalInteger({ n: 5 }, 'n', { min: 0 }), 5);
    assert.equal(
      errcodeOf(() => optionalInteger({ n: 1.5 }, 'n')),
      '400 M_BAD_JSON',
    );
    assert.equal(
      errcodeOf(() => optionalInteger({ n: 2 ** 60 }, 'n')),
      '400 M_BAD_JSON',
    );
    assert.equal(
      errcodeOf(() => optionalInteger({ n: '5' }, 'n')),
      '400 M_BAD_JSON',
    );
    assert.equal(
      errcodeOf(() => optionalInteger({ n: -1 }, 'n', { min: 0 })),
      '400 M_INVALID_PARAM',
    );
  });

  test('enums refuse other values with M_INVALID_PARAM', () => {
    assert.equal(optionalEnum({ p: 'online' }, 'p', ['online', 'offline']), 'online');
    assert.equal(
      errcodeOf(() => optionalEnum({ p: 'busy' }, 'p', ['online', 'offline'])),
      '400 M_INVALID_PARAM',
    );
  });
});
