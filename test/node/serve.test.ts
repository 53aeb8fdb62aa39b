// `p2p-matrix serve` as a user runs it (the built CLI, `npm run build` first):
// real HTTP, a real SQLite file, a restart on the same --data directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { type ServeProcess, startServe } from '../../scripts/harness/serve-process.ts';

const BIN = fileURLToPath(new URL('../../bin/p2p-matrix.js', import.meta.url));
const PASSWORD = 'correct horse battery staple';

async function call(base: string, method: string, path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

describe('p2p-matrix serve', () => {
  let dataDir: string;
  let server: ServeProcess | undefined;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'p2pm-serve-'));
  });
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('--port 0 prints the real port; /versions and CORS over HTTP', async () => {
    server = await startServe(['--port', '0', '--data', dataDir]);
    assert.match(server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.doesNotMatch(server.baseUrl, /:0$/);
    const versions = await call(server.baseUrl, 'GET', '/_matrix/client/versions');
    assert.equal(versions.status, 200);
    assert.ok(versions.body.versions.includes('v1.11'));
    assert.equal(versions.headers.get('access-control-allow-origin'), '*');
    assert.equal(versions.headers.get('content-type'), 'application/json');
    const preflight = await fetch(`${server.baseUrl}/_matrix/client/v3/sync`, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.equal(
      preflight.headers.get('access-control-allow-headers'),
      'X-Requested-With, Content-Type, Authorization',
    );
    const unknown = await call(server.baseUrl, 'GET', '/_matrix/client/v3/nope');
    assert.deepEqual([unknown.status, unknown.body.errcode], [404, 'M_UNRECOGNIZED']);
    const notJson = await call(server.baseUrl, 'POST', '/_matrix/client/v3/login', '{oops');
    assert.deepEqual([notJson.status, notJson.body.errcode], [400, 'M_NOT_JSON']);
    const huge = await call(
      server.baseUrl,
      'POST',
      '/_matrix/client/v3/login',
      JSON.stringify({ pad: 'x'.repeat(2 << 20) }),
    );
    assert.deepEqual([huge.status, huge.body.errcode], [413, 'M_TOO_LARGE']);
  });

  test('an account registered before a restart on the same --data logs in after it', async () => {
    assert.ok(server);
    const first = await call(server.baseUrl, 'POST', '/_matrix/client/v3/register', {
      username: 'alice',
      password: PASSWORD,
    });
    assert.equal(first.status, 401);
    const registered = await call(server.baseUrl, 'POST', '/_matrix/client/v3/register', {
      username: 'alice',
      password: PASSWORD,
      auth: { type: 'm.login.dummy', session: first.body.session },
    });
    assert.equal(registered.status, 200);
    const serverName = server.serverName;
    await server.stop();
    assert.equal(server.child.exitCode, 0);

    server = await startServe(['--port', '0', '--data', dataDir]);
    assert.equal(server.serverName, serverName, 'the identity survives the restart');
    const whoami = await call(
      server.baseUrl,
      'GET',
      '/_matrix/client/v3/account/whoami',
      undefined,
      registered.body.access_token,
    );
    assert.equal(whoami.body.user_id, `@alice:${serverName}`);
    const login = await call(server.baseUrl, 'POST', '/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'alice' },
      password: PASSWORD,
    });
    assert.equal(login.status, 200);
    assert.equal(login.body.user_id, `@alice:${serverName}`);
  });

  test('without --data nothing is kept', async () => {
    const memory = await startServe(['--port', '0']);
    try {
      const res = await call(memory.baseUrl, 'GET', '/_matrix/client/v3/register/available?username=alice');
      assert.deepEqual(res.body, { available: true });
    } finally {
      await memory.stop();
    }
  });

  test('--registration closed refuses registration', async () => {
    const closed = await startServe(['--port', '0', '--registration', 'closed']);
    try {
      const res = await call(closed.baseUrl, 'POST', '/_matrix/client/v3/register', {
        username: 'x',
        password: 'y',
      });
      assert.deepEqual([res.status, res.body.errcode], [403, 'M_FORBIDDEN']);
    } finally {
      await closed.stop();
    }
  });

  test('--support and --token-lifetime set what the popup sets in the extension', async () => {
    const owned = await startServe([
      '--port',
      '0',
      '--support',
      '@owner:example.org',
      '--support',
      'https://example.org/help',
      '--token-lifetime',
      '10',
    ]);
    try {
      const res = await call(owned.baseUrl, 'GET', '/.well-known/matrix/support');
      assert.deepEqual(res.body, {
        contacts: [{ role: 'm.role.admin', matrix_id: '@owner:example.org' }],
        support_page: 'https://example.org/help',
      });
    } finally {
      await owned.stop();
    }
  });

  test('--help explains the flags; bad flags exit with 2', () => {
    const help = spawnSync(process.execPath, [BIN, 'serve', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    for (const flag of ['--port', '--host', '--data', '--registration', '--name'])
      assert.match(help.stdout, new RegExp(flag));
    const relayHelp = spawnSync(process.execPath, [BIN, 'relay', '--help'], { encoding: 'utf8' });
    assert.equal(relayHelp.status, 0, relayHelp.stderr);
    for (const flag of ['--port', '--host', '--key-file']) assert.match(relayHelp.stdout, new RegExp(flag));
    for (const args of [
      ['serve', '--port', 'x'],
      ['serve', '--registration', 'maybe'],
      ['serve', '--token-lifetime', '0'],
      ['serve', '--support', 'nobody'],
      ['serve', '--bogus'],
      ['frobnicate'],
    ]) {
      const res = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
      assert.equal(res.status, 2, args.join(' '));
      assert.match(res.stderr, /p2p-matrix:/);
    }
  });
});
