// The one route table both APIs match with (Client-Server 'lenient',
// Server-Server 'strict'): same matching and ranking, stricter parameters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MatrixError } from '../../../src/core/errors.ts';
import { type PathRoute, RouteTable } from '../../../src/core/http/route-table.ts';

const routes: PathRoute[] = [
  { method: 'GET', path: '/_matrix/federation/v1/query/{queryType}' },
  { method: 'GET', path: '/_matrix/federation/v1/query/directory' },
  { method: 'PUT', path: '/_matrix/federation/v1/send/{txnId}' },
];

function errcodeOf(fn: () => unknown): [number, string] | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof MatrixError);
    return [err.status, err.errcode];
  }
}

test('more literal segments win, whatever the order of the routes (both rule sets)', () => {
  for (const rules of ['lenient', 'strict'] as const) {
    const table = new RouteTable(routes, rules);
    assert.equal(table.match('GET', '/_matrix/federation/v1/query/directory').route, routes[1]);
    assert.deepEqual(table.match('GET', '/_matrix/federation/v1/query/profile').params, {
      queryType: 'profile',
    });
  }
});

test('an unknown path is 404 M_UNRECOGNIZED, a known path with another method 405 M_UNRECOGNIZED', () => {
  const table = new RouteTable(routes, 'strict');
  assert.deepEqual(
    errcodeOf(() => table.match('GET', '/_matrix/federation/v1/nope')),
    [404, 'M_UNRECOGNIZED'],
  );
  assert.deepEqual(
    errcodeOf(() => table.match('GET', '/_matrix/federation/v1/send/t1')),
    [405, 'M_UNRECOGNIZED'],
  );
});

test('strict parameters: never empty, never a malformed escape, no trailing-slash retry', () => {
  const strict = new RouteTable(routes, 'strict');
  const lenient = new RouteTable(routes, 'lenient');
  for (const path of [
    '/_matrix/federation/v1/send/',
    '/_matrix/federation/v1/send/%zz',
    '/_matrix/federation/v1/query/directory/',
  ]) {
    if (path.endsWith('directory/')) {
      assert.equal(lenient.match('GET', path).route, routes[1]);
      assert.deepEqual(
        errcodeOf(() => strict.match('GET', path)),
        [404, 'M_UNRECOGNIZED'],
      );
      continue;
    }
    assert.equal(lenient.match('PUT', path).route, routes[2]);
    assert.deepEqual(
      errcodeOf(() => strict.match('PUT', path)),
      [404, 'M_UNRECOGNIZED'],
    );
  }
  assert.deepEqual(strict.match('PUT', '/_matrix/federation/v1/send/a%2Fb').params, { txnId: 'a/b' });
});
