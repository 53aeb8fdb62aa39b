// Why the protocol library does not use the `canonicaljson` npm package: it
// implements gibson042's canonicaljson-spec, not Matrix canonical JSON. It
// agrees with the Matrix spec's examples but differs from the Matrix grammar
// at each point pinned below. The conclusion is at the top of
// src/core/protocol/canonical-json.ts.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { canonicalJson } from '../../../src/core/protocol/canonical-json.ts';

const { stringify } = createRequire(import.meta.url)('canonicaljson') as {
  stringify(value: unknown): string;
};

describe('the canonicaljson npm package against Matrix canonical JSON', () => {
  test('agrees on the spec examples', () => {
    const examples = [
      '{}',
      '{"one": 1, "two": "Two"}',
      '{"b": "2", "a": "1"}',
      '{"auth": {"success": true, "mxid": "@john.doe:example.com", "profile": {"display_name": "John Doe", "three_pids": [{"medium": "email", "address": "john.doe@example.org"}, {"medium": "msisdn", "address": "123456789"}]}}}',
      '{"a": "日本語"}',
      '{"本": 2, "日": 1}',
      '{"a": "\\u65E5"}',
      '{"a": null}',
      '{"a": -0, "b": 1e10}',
    ];
    for (const text of examples) assert.equal(stringify(JSON.parse(text)), canonicalJson(JSON.parse(text)));
  });

  test('agrees on code point key order', () => {
    assert.equal(stringify({ '😀': 2, '\uFFFF': 1 }), canonicalJson({ '😀': 2, '\uFFFF': 1 }));
  });

  test('differs: upper-case \\u escapes, where the Matrix grammar requires lower-case', () => {
    assert.equal(stringify('\u001f\u000b'), '"\\u001F\\u000B"');
    assert.equal(canonicalJson('\u001f\u000b'), '"\\u001f\\u000b"');
  });

  test('differs: encodes floats, NaN and Infinity instead of refusing them', () => {
    assert.equal(stringify({ a: 1.5 }), '{"a":1.5E0}');
    assert.equal(stringify({ a: Number.NaN }), '{"a":NAN}'); // not even JSON
    assert.equal(stringify({ a: Number.POSITIVE_INFINITY }), '{"a":INFINITY}');
    assert.throws(() => canonicalJson({ a: 1.5 }), { name: 'CanonicalJsonError' });
    assert.throws(() => canonicalJson({ a: Number.NaN }), { name: 'CanonicalJsonError' });
  });

  test('differs: writes out-of-range integers such as 1e20, or fails with a BigNumber error', () => {
    assert.equal(stringify({ a: 1e20 }), '{"a":100000000000000000000}');
    assert.throws(() => stringify({ a: 2 ** 53 }), /more than 15 significant digits/);
    assert.equal(stringify({ a: 2 ** 53 - 1 }), canonicalJson({ a: 2 ** 53 - 1 }));
    assert.throws(() => canonicalJson({ a: 1e20 }), { name: 'CanonicalJsonError' });
    assert.throws(() => canonicalJson({ a: 2 ** 53 }), { name: 'CanonicalJsonError' });
  });

  test('differs: turns undefined into null instead of refusing it', () => {
    assert.equal(stringify({ a: undefined }), '{"a":null}');
    assert.throws(() => canonicalJson({ a: undefined }), { name: 'CanonicalJsonError' });
  });

  test('differs: escapes a lone surrogate as \\uD800, which the Matrix grammar does not allow', () => {
    assert.equal(stringify('\uD800'), '"\\uD800"');
    assert.throws(() => canonicalJson('\uD800'), { name: 'CanonicalJsonError' });
  });

  test('differs: accepts non-plain objects (a Date becomes its ISO string)', () => {
    assert.equal(stringify(new Date(0)), '"1970-01-01T00:00:00.000Z"');
    assert.throws(() => canonicalJson(new Date(0)), { name: 'CanonicalJsonError' });
  });
});
