import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CanonicalJsonError,
  canonicalJson,
  checkJsonValue,
  compareCodePoints,
  nestingWithin,
  parseCanonicalJsonSafe,
} from '../../../src/core/protocol/canonical-json.ts';

// appendices.md, "Canonical JSON" → "Examples": input text and expected output, verbatim.
const SPEC_EXAMPLES: [string, string][] = [
  ['{}', '{}'],
  ['{\n    "one": 1,\n    "two": "Two"\n}', '{"one":1,"two":"Two"}'],
  ['{\n    "b": "2",\n    "a": "1"\n}', '{"a":"1","b":"2"}'],
  ['{"b":"2","a":"1"}', '{"a":"1","b":"2"}'],
  [
    `{
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
}`,
    '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
  ],
  ['{\n    "a": "日本語"\n}', '{"a":"日本語"}'],
  ['{\n    "本": 2,\n    "日": 1\n}', '{"日":1,"本":2}'],
  ['{\n    "a": "\\u65E5"\n}', '{"a":"日"}'],
  ['{\n    "a": null\n}', '{"a":null}'],
  ['{\n    "a": -0,\n    "b": 1e10\n}', '{"a":0,"b":10000000000}'],
];

describe('canonicalJson', () => {
  test('produces the output of every spec example', () => {
    for (const [input, expected] of SPEC_EXAMPLES) assert.equal(canonicalJson(JSON.parse(input)), expected);
  });

  test('sorts keys by code point, not by UTF-16 code unit', () => {
    // U+FFFF < U+1F600, but UTF-16 order puts the surrogate pair (D83D...) first.
    assert.equal(canonicalJson({ '😀': 2, '\uFFFF': 1 }), '{"\uFFFF":1,"😀":2}');
    assert.equal(canonicalJson({ '\uE000': 1, 𐀀: 2, a: 0 }), '{"a":0,"\uE000":1,"𐀀":2}');
    assert.equal(canonicalJson({ ab: 1, a: 2, b: 3, '': 4 }), '{"":4,"a":2,"ab":1,"b":3}');
  });

  test('compareCodePoints agrees with comparing code point arrays', () => {
    const words = ['', 'a', 'ab', 'b', '\uD7FF', '\uE000', '\uFFFF', '𐀀', '😀', '😀a', 'a😀'];
    const byCodePoints = (a: string, b: string) => {
      const x = [...a].map((c) => c.codePointAt(0)!);
      const y = [...b].map((c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    };
    for (const a of words) {
      for (const b of words)
        assert.equal(Math.sign(compareCodePoints(a, b)), Math.sign(byCodePoints(a, b)), `${a} ${b}`);
    }
  });

  test('escapes control characters exactly as the grammar says', () => {
    const short: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };
    for (let code = 0; code < 0x20; code++) {
      const expected = short[code] ?? `\\u${code.toString(16).padStart(4, '0')}`;
      assert.equal(canonicalJson(String.fromCharCode(code)), `"${expected}"`);
    }
    assert.equal(canonicalJson('\u001f'), '"\\u001f"');
    assert.equal(canonicalJson('"\\'), '"\\"\\\\"');
  });

  test('leaves everything else unescaped, including / DEL U+2028 and astral characters', () => {
    assert.equal(canonicalJson('/\u007f\u2028\u2029é😀'), '"/\u007f\u2028\u2029é😀"');
  });

  test('each ASCII character inside a string, as key and as value, is written as the grammar says', () => {
    for (let code = 0; code < 0x80; code++) {
      const text = `a${String.fromCharCode(code)}b`;
      const escaped = JSON.stringify(text);
      assert.equal(canonicalJson(text), escaped);
      assert.equal(canonicalJson({ [text]: [text] }), `{${escaped}:[${escaped}]}`);
    }
  });

  test('writes integers plainly across the allowed range', () => {
    assert.equal(
      canonicalJson([0, -0, 1, -1, 2 ** 53 - 1, -(2 ** 53) + 1, 1e20 / 1e10]),
      '[0,0,1,-1,9007199254740991,-9007199254740991,10000000000]',
    );
  });

  test('accepts null-prototype objects', () => {
    const object = Object.assign(Object.create(null) as object, { b: 1, a: true });
    assert.equal(canonicalJson(object), '{"a":true,"b":1}');
  });

  test('refuses values canonical JSON cannot express', () => {
    const refused: [unknown, RegExp][] = [
      [1.5, /1\.5 is not an integer/],
      [Number.NaN, /NaN is not a JSON number/],
      [Number.POSITIVE_INFINITY, /Infinity/],
      [2 ** 53, /outside/],
      [-(2 ** 53), /outside/],
      [undefined, /undefined is not a JSON value/],
      [() => 1, /function/],
      [10n, /bigint/],
      [Symbol('s'), /symbol/],
      [new Date(0), /Date is not a plain JSON object/],
      [new Map(), /Map/],
      [new Uint8Array(1), /Uint8Array/],
      ['\uD800', /lone UTF-16 surrogate/],
      [{ '\uDC00': 1 }, /lone UTF-16 surrogate/],
      [{ a: undefined }, /undefined/],
      // biome-ignore lint/suspicious/noSparseArray: a hole is what is being tested
      [[1, , 2], /undefined/],
    ];
    for (const [value, message] of refused) {
      assert.throws(
        () => canonicalJson(value),
        (error: unknown) => {
          assert.ok(error instanceof CanonicalJsonError);
          assert.equal(error.name, 'CanonicalJsonError');
          assert.match(error.message, message);
          return true;
        },
      );
    }
  });

  test('says where in the value the problem is', () => {
    assert.throws(
      () => canonicalJson({ content: { amounts: [1, { x: 2.5 }] } }),
      (error: unknown) =>
        error instanceof CanonicalJsonError &&
        error.path === 'content.amounts[1].x' &&
        error.message === 'content.amounts[1].x: 2.5 is not an integer',
    );
  });

  test('refuses nesting beyond 1000 levels instead of overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(5000)}${']'.repeat(5000)}`);
    assert.throws(() => canonicalJson(deep), /nested deeper than 1000 levels/);
    const fine = JSON.parse(`${'['.repeat(999)}${']'.repeat(999)}`);
    assert.equal(canonicalJson(fine).length, 1998);
  });
});

describe('nestingWithin', () => {
  test('counts depth, not brackets: many shallow ones pass, few deep ones do not', () => {
    const siblings = `[${Array.from({ length: 3000 }, () => '{"a":[]}').join(',')}]`;
    assert.equal(nestingWithin(siblings), true);
    assert.equal(nestingWithin(`{"x":${siblings}}`, 4), true);
    assert.equal(nestingWithin(`{"x":${siblings}}`, 3), false);
    assert.equal(nestingWithin('[[[]]]', 3), true);
    assert.equal(nestingWithin('[[[]]]', 2), false);
    // Brackets in strings: text, not nesting, whether there are few or many.
    assert.equal(nestingWithin('["[[["]', 1), true);
    const inString = `["${'{'.repeat(5000)}", [[]]]`;
    assert.equal(nestingWithin(inString, 3), true);
    assert.equal(nestingWithin(inString, 2), false);
  });
});

describe('checkJsonValue', () => {
  test('accepts canonical values and gives the reason for others', () => {
    assert.deepEqual(checkJsonValue({ a: [1, 'x', null, true] }), { ok: true });
    assert.deepEqual(checkJsonValue({ a: 0.5 }), { ok: false, reason: 'a: 0.5 is not an integer' });
  });
});

describe('parseCanonicalJsonSafe', () => {
  test('returns the value of canonical JSON text', () => {
    assert.deepEqual(parseCanonicalJsonSafe('{"a":[1,-2,"1.5e3"],"b":{"c":null}}'), {
      ok: true,
      value: { a: [1, -2, '1.5e3'], b: { c: null } },
    });
    assert.deepEqual(parseCanonicalJsonSafe('{"a":-0}'), { ok: true, value: { a: -0 } });
    assert.deepEqual(parseCanonicalJsonSafe('{"e1":"\\"2.5","x":true}'), {
      ok: true,
      value: { e1: '"2.5', x: true },
    });
  });

  test('rejects floats even when their value is integral', () => {
    for (const text of ['{"a":1.5}', '{"a":1.0}', '{"b":1e10}', '[2E3]', '{"a":-0.0}', '{"a":1e-5}']) {
      const result = parseCanonicalJsonSafe(text);
      assert.equal(result.ok, false, text);
      assert.match(result.ok ? '' : result.reason, /is not an integer/);
    }
  });

  test('rejects out-of-range integers, lone surrogates and non-JSON', () => {
    assert.deepEqual(parseCanonicalJsonSafe('{"a":9007199254740992}'), {
      ok: false,
      reason: 'a: 9007199254740992 is outside [-(2**53)+1, (2**53)-1]',
    });
    assert.match(reasonOf(parseCanonicalJsonSafe('{"a":"\\ud800"}')), /lone UTF-16 surrogate/);
    assert.match(reasonOf(parseCanonicalJsonSafe('{"a":NaN}')), /not valid JSON/);
    assert.match(reasonOf(parseCanonicalJsonSafe('')), /not valid JSON/);
  });
});

function reasonOf(result: { ok: true } | { ok: false; reason: string }): string {
  return result.ok ? '' : result.reason;
}
