import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MatrixError } from '../../../src/core/errors.ts';
import {
  queryBoolean,
  queryInteger,
  queryParam,
  queryParams,
  requireQueryParam,
} from '../../../src/core/http/query.ts';
import type { HsRequest } from '../../../src/core/http/types.ts';

const req = (query: HsRequest['query']): HsRequest => ({ method: 'GET', path: '/', query, headers: {} });
const code = (err: unknown) => err instanceof MatrixError && `${err.status} ${err.errcode}`;

test('query parameters: first value, all values, typed values with spec errors', () => {
  const r = req({ a: ['1', '2'], n: '42', b: 'true', bad: '4x', neg: '-3' });
  assert.equal(queryParam(r, 'a'), '1');
  assert.deepEqual(queryParams(r, 'a'), ['1', '2']);
  assert.equal(queryInteger(r, 'n'), 42);
  assert.equal(queryInteger(r, 'missing'), undefined);
  assert.equal(queryBoolean(r, 'b'), true);
  assert.throws(
    () => queryInteger(r, 'bad'),
    (e) => code(e) === '400 M_INVALID_PARAM',
  );
  assert.throws(
    () => queryInteger(r, 'neg', { min: 0 }),
    (e) => code(e) === '400 M_INVALID_PARAM',
  );
  assert.throws(
    () => queryBoolean(r, 'n'),
    (e) => code(e) === '400 M_INVALID_PARAM',
  );
  assert.throws(
    () => requireQueryParam(r, 'missing'),
    (e) => code(e) === '400 M_MISSING_PARAM',
  );
});
