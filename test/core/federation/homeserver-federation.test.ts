// Room federation as createHomeserver composes it (federation-wiring.ts), over
// the in-memory network: the other tests use their own composition to tune
// timeouts; this one checks the production wiring end to end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryNetwork } from '../../../src/core/federation/memory-transport.ts';
import { createHomeserver } from '../../../src/core/homeserver.ts';
import { bootstrapIdentity } from '../../../src/core/identity.ts';
import { silentLogger, systemClock } from '../../../src/core/ports.ts';
import { randomBytes } from '../../../src/core/protocol.ts';
import { SCHEMA } from '../../../src/core/storage/schema.ts';
import { openSqliteStore } from '../../../src/node/storage/sqlite-store.ts';
import { type Json, eventually } from '../../support/federated-cluster.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

async function startServer(network: ReturnType<typeof createMemoryNetwork>) {
  const store = await openSqliteStore(':memory:', SCHEMA, { synchronous: 'normal' });
  const identity = await bootstrapIdentity(store, randomBytes);
  const transport = network.transport(identity.serverName);
  const hs = createHomeserver({
    store,
    clock: systemClock,
    logger: silentLogger,
    serverName: identity.serverName,
    signingSeed: identity.seed,
    config: { registration: 'open', passwordIterations: 1000 },
    transport,
  });
  const request = async (method: string, path: string, body?: unknown, token?: string): Promise<Json> => {
    const [pathname = '', search = ''] = path.split('?', 2);
    const res = await hs.handle({
      method,
      path: pathname,
      query: Object.fromEntries(new URLSearchParams(search)),
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(body !== undefined && { body: new TextEncoder().encode(JSON.stringify(body)) }),
    });
    return { status: res.status, body: JSON.parse(JSON.stringify(res.body)) };
  };
  const register = async (username: string) => {
    const password = 'correct horse battery staple';
    const first = await request('POST', `${V3}/register`, { username, password });
    const auth = { type: 'm.login.dummy', session: first.body.session };
    return (await request('POST', `${V3}/register`, { username, password, auth })).body;
  };
  const close = async () => {
    await hs.close();
    await transport.close();
    await store.close();
  };
  return { serverName: identity.serverName, request, register, close };
}

test('two homeservers made by createHomeserver share a room over their transports', async () => {
  const network = createMemoryNetwork();
  const a = await startServer(network);
  const b = await startServer(network);
  try {
    const alice = await a.register('alice');
    const bob = await b.register('bob');
    const room = (await a.request('POST', `${V3}/createRoom`, { preset: 'public_chat' }, alice.access_token))
      .body.room_id;
    const joined = await b.request(
      'POST',
      `${V3}/join/${enc(room)}?server_name=${a.serverName}`,
      {},
      bob.access_token,
    );
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    await b.request(
      'PUT',
      `${V3}/rooms/${enc(room)}/send/m.room.message/1`,
      { msgtype: 'm.text', body: 'hi alice' },
      bob.access_token,
    );
    const seen = await eventually(async () => {
      const res = await a.request(
        'GET',
        `${V3}/rooms/${enc(room)}/messages?dir=b`,
        undefined,
        alice.access_token,
      );
      return res.body.chunk.find((e: Json) => e.content.body === 'hi alice');
    }, 'alice sees bob');
    assert.equal(seen.sender, bob.user_id);
  } finally {
    await a.close();
    await b.close();
  }
});
