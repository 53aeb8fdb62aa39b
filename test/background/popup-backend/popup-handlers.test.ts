// The popup's requests as the background answers them, over a real
// homeserver (fake-indexeddb) and in-memory storage areas.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createErrorLog } from '../../../background/popup-backend/error-log.ts';
import { identityFile } from '../../../background/popup-backend/identity-export.ts';
import { type KeyValueArea, memoryArea } from '../../../background/worker/key-value-area.ts';
import { createLocalAccount } from '../../../background/popup-backend/local-account.ts';
import { createNetworkSettingsStore } from '../../../background/worker/network-settings-store.ts';
import { type NetworkView, unavailableNetwork } from '../../../background/worker/network-view.ts';
import { createPopupHandlers, type PopupHandlers } from '../../../background/popup-backend/popup-handlers.ts';
import { createRoomAliases } from '../../../background/popup-backend/room-aliases.ts';
import { createRoomDirectory, LOCAL_ONLY_REASON } from '../../../background/popup-backend/room-directory.ts';
import { decodeBase64 } from '../../../src/core/protocol/base64.ts';
import type { NetworkSettings } from '../../../src/platform/web/network-settings.ts';
import { createTestHomeserver, type TestHomeserver } from '../../support/hs-client.ts';

const RELAY = '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWLRPJAA5o6W9sA4uUcjgdLQ8JVYvAhJ9LhJbDJAXS1kbb';
const V3 = '/_matrix/client/v3';
const sender = {};

interface Setup {
  readonly t: TestHomeserver;
  readonly handlers: PopupHandlers;
  readonly local: KeyValueArea;
  readonly session: KeyValueArea;
  readonly changes: { count: number };
  readonly applied: NetworkSettings[];
}

async function setup(network: Partial<NetworkView> = {}): Promise<Setup> {
  const t = await createTestHomeserver();
  const homeserver = Promise.resolve(t.hs);
  const local = memoryArea();
  const session = memoryArea();
  const changes = { count: 0 };
  const applied: NetworkSettings[] = [];
  const account = createLocalAccount(homeserver, local);
  const handlers = createPopupHandlers({
    hub: { snapshot: async () => assert.fail('not asked here'), changed: () => void changes.count++ },
    account,
    settings: createNetworkSettingsStore(local),
    network: {
      ...unavailableNetwork(),
      applySettings: async (s) => void applied.push(s),
      ...network,
    },
    aliases: createRoomAliases({ homeserver, session: () => account.session() }),
    directory: createRoomDirectory({ homeserver, federating: () => false, session: () => account.session() }),
    media: async () => t.hs.media,
    exportIdentity: async () =>
      identityFile({ serverName: t.serverName, seed: new Uint8Array(32).fill(7) }, new Date(0)),
    reports: async () => t.hs.reports,
    serverSettings: async () => t.hs.settings,
    errors: createErrorLog(session, () => 1000),
  });
  return { t, handlers, local, session, changes, applied };
}

/** The access token the background keeps for the local account (the popup never sees it). */
async function storedToken(local: KeyValueArea): Promise<string> {
  return ((await local.get('localAccount')) as { accessToken: string }).accessToken;
}

describe('the popup handlers: the local account', () => {
  test('creates the account through /register and answers with its user ID only', async () => {
    const { t, handlers, changes } = await setup();
    const created = await handlers.createAccount({ username: 'alice', password: 'correct horse' }, sender);
    assert.deepEqual(created, { state: 'exists', userId: `@alice:${t.serverName}` });
    assert.ok(changes.count >= 1);
    const login = await t.request('POST', `${V3}/login`, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'alice' },
      password: 'correct horse',
    });
    assert.equal(login.status, 200, 'a client can sign in with the password');
    await t.close();
  });

  test('refuses a second account, a taken name and a short password, each by name', async () => {
    const { t, handlers } = await setup();
    await t.register('bob');
    await assert.rejects(handlers.createAccount({ username: 'bob', password: 'correct horse' }, sender), {
      name: 'M_USER_IN_USE',
    });
    await assert.rejects(handlers.createAccount({ username: 'carol', password: 'short' }, sender), {
      name: 'AccountInputError',
      message: 'Use a password of at least 8 characters',
    });
    await assert.rejects(
      handlers.createAccount({ username: 'Not Valid', password: 'correct horse' }, sender),
      {
        name: 'M_INVALID_USERNAME',
      },
    );
    await handlers.createAccount({ username: 'carol', password: 'correct horse' }, sender);
    await assert.rejects(handlers.createAccount({ username: 'dave', password: 'correct horse' }, sender), {
      name: 'AccountExistsError',
    });
    await t.close();
  });

  test('an account whose token the server no longer knows is forgotten', async () => {
    const { t, handlers, local } = await setup();
    await local.set('localAccount', { userId: `@ghost:${t.serverName}`, accessToken: 'gone', deviceId: 'D' });
    const account = createLocalAccount(Promise.resolve(t.hs), local);
    assert.deepEqual(await account.state(), { state: 'none' });
    assert.equal(await local.get('localAccount'), undefined);
    await handlers.createAccount({ username: 'ghost', password: 'correct horse' }, sender);
    await t.close();
  });
});

describe('the popup handlers: aliases and the directory', () => {
  test('without the account, aliases are unavailable and say why', async () => {
    const { t, handlers } = await setup();
    const list = await handlers.listAliases({}, sender);
    assert.equal(list.state, 'unavailable');
    assert.deepEqual(list.rooms, []);
    await t.close();
  });

  test("adds, publishes and removes an alias of the account's room; the directory finds it", async () => {
    const { t, handlers, local } = await setup();
    await handlers.createAccount({ username: 'alice', password: 'correct horse' }, sender);
    const token = await storedToken(local);
    const roomId = (await t.request('POST', `${V3}/createRoom`, { name: 'Garden club' }, token)).body.room_id;
    const empty = await handlers.listAliases({}, sender);
    assert.deepEqual(empty, {
      state: 'ready',
      serverName: t.serverName,
      rooms: [{ roomId, name: 'Garden club', aliases: [], published: false }],
    });

    const alias = `#garden:${t.serverName}`;
    const added = await handlers.addAlias({ localpart: '#garden', roomId }, sender);
    assert.deepEqual(added.rooms[0]?.aliases, [alias]);
    await assert.rejects(handlers.addAlias({ localpart: 'a:b', roomId }, sender), {
      name: 'InvalidAliasError',
    });

    assert.deepEqual((await handlers.searchDirectory({ term: '' }, sender)).rooms, []);
    const published = await handlers.setPublished({ roomId, published: true }, sender);
    assert.equal(published.rooms[0]?.published, true);
    await t.request(
      'PUT',
      `${V3}/rooms/${encodeURIComponent(roomId)}/state/m.room.canonical_alias/`,
      { alias },
      token,
    );
    const found = await handlers.searchDirectory({ term: 'garden' }, sender);
    assert.equal(found.state, 'local');
    assert.equal(found.state === 'local' && found.reason, LOCAL_ONLY_REASON);
    assert.deepEqual(found.rooms, [
      { roomId, alias, name: 'Garden club', topic: null, members: 1, foundOn: [t.serverName] },
    ]);
    assert.deepEqual((await handlers.searchDirectory({ term: 'chess' }, sender)).rooms, []);

    const removed = await handlers.removeAlias({ alias }, sender);
    assert.deepEqual(removed.rooms[0]?.aliases, []);
    await t.close();
  });
});

describe('the popup handlers: peers, relays and settings', () => {
  test('a relay is checked, saved, and handed to the node; removing it does the same', async () => {
    const { t, handlers, applied } = await setup();
    assert.deepEqual(await handlers.getSettings({}, sender), { relays: [], iceServers: [], displayName: '' });
    const added = await handlers.addPeer({ multiaddr: ` ${RELAY} `, asRelay: true }, sender);
    assert.deepEqual(added.relays, [RELAY]);
    await handlers.addPeer({ multiaddr: RELAY, asRelay: true }, sender);
    assert.deepEqual((await handlers.getSettings({}, sender)).relays, [RELAY], 'no duplicate');
    await assert.rejects(handlers.addPeer({ multiaddr: '/ip4/127.0.0.1/tcp/1', asRelay: true }, sender), {
      name: 'InvalidMultiaddrError',
    });
    assert.deepEqual((await handlers.removeRelay({ multiaddr: RELAY }, sender)).relays, []);
    assert.deepEqual(
      applied.map((s) => s.relays),
      [[RELAY], [RELAY], []],
    );
    await t.close();
  });

  test('without a node, dialling a peer and reconnecting fail by name, and report no invented peer', async () => {
    const { t, handlers, session } = await setup();
    await assert.rejects(handlers.addPeer({ multiaddr: RELAY, asRelay: false }, sender), {
      name: 'NetworkUnavailableError',
    });
    await assert.rejects(handlers.reconnect({}, sender), { name: 'NetworkUnavailableError' });
    assert.equal(await session.get('lastError'), undefined, 'the status already says the node is missing');
    assert.deepEqual(await unavailableNetwork().snapshot(), {
      state: 'unavailable',
      reason: 'No peer-to-peer node is attached to this homeserver.',
      peers: [],
      relays: [],
    });
    await t.close();
  });

  test('a node that fails to dial: the failure becomes the last error', async () => {
    const { t, handlers, session } = await setup({
      dial: async () => {
        throw new Error('The relay did not answer');
      },
    });
    await assert.rejects(handlers.addPeer({ multiaddr: RELAY, asRelay: false }, sender), {
      message: 'The relay did not answer',
    });
    assert.deepEqual(await session.get('lastError'), { message: 'The relay did not answer', at: 1000 });
    await t.close();
  });

  test('settings are checked as a whole; an invalid one changes nothing', async () => {
    const { t, handlers } = await setup();
    const saved = await handlers.setSettings(
      { settings: { displayName: ' Laptop ', iceServers: [{ urls: 'stun:stun.example.org:3478' }] } },
      sender,
    );
    assert.deepEqual(saved, {
      relays: [],
      iceServers: [{ urls: 'stun:stun.example.org:3478' }],
      displayName: 'Laptop',
    });
    await assert.rejects(
      handlers.setSettings({ settings: { iceServers: [{ urls: 'http://example.org' }] } }, sender),
      { name: 'InvalidSettingError' },
    );
    assert.deepEqual(await handlers.getSettings({}, sender), saved);
    await t.close();
  });
});

describe('the popup handlers: the identity key', () => {
  test('exports the seed and server name in a file that says what it is', async () => {
    const { t, handlers } = await setup();
    const file = await handlers.exportIdentityKey({}, sender);
    const contents = JSON.parse(file.contents);
    assert.equal(file.serverName, t.serverName);
    assert.equal(file.fileName, `p2p-matrix-identity-${t.serverName.slice(0, 12)}.json`);
    assert.equal(contents.type, 'p2p-matrix.identity');
    assert.equal(contents.server_name, t.serverName);
    assert.deepEqual(decodeBase64(contents.ed25519_seed), new Uint8Array(32).fill(7));
    assert.match(contents.warning, /Anyone who has it can act as your server/);
    await t.close();
  });
});

describe('the popup handlers: reports', () => {
  test('a report filed by a user of the homeserver is listed for the owner, and dismissed', async () => {
    const { t, handlers } = await setup();
    const alice = await t.register('alice');
    const bob = await t.register('bob');
    const user = `/_matrix/client/v3/users/${encodeURIComponent(bob.userId)}/report`;
    assert.equal((await t.request('POST', user, { reason: 'spam' }, alice.accessToken)).status, 200);
    const [report] = await handlers.listReports({}, sender);
    assert.equal(report!.kind, 'user');
    assert.equal(report!.reporter, alice.userId);
    assert.equal(report!.userId, bob.userId);
    assert.equal(report!.reason, 'spam');
    assert.deepEqual(await handlers.dismissReport({ id: report!.id }, sender), []);
    await t.close();
  });
});

describe('the popup handlers: media', () => {
  test("reports media usage and clears the cache of other peers' media, not the local uploads", async () => {
    const { t, handlers } = await setup();
    const alice = await t.register('alice');
    await t.request('POST', '/_matrix/media/v3/upload', new Uint8Array(100), alice.accessToken, {
      'content-type': 'application/octet-stream',
    });
    async function* bytes() {
      yield new Uint8Array(40);
    }
    await t.hs.media.cacheRemote('other.example', 'abc', { contentType: 'text/plain' }, bytes());
    const usage = await handlers.mediaUsage({}, sender);
    assert.deepEqual(usage.local, { files: 1, bytes: 100 });
    assert.deepEqual(usage.remote, { files: 1, bytes: 40 });
    const after = await handlers.clearRemoteMedia({}, sender);
    assert.deepEqual(after.remote, { files: 0, bytes: 0 });
    assert.deepEqual(after.local, { files: 1, bytes: 100 });
    await t.close();
  });
});

describe('the popup handlers: the homeserver settings', () => {
  test('the lifetime and support contact reach the homeserver; bad input is refused by its errcode', async () => {
    const { t, handlers, session } = await setup();
    assert.deepEqual(await handlers.getServerSettings({}, sender), { accessTokenLifetimeMs: 300_000 });
    const support = { contacts: [{ role: 'm.role.admin' as const, email_address: 'owner@example.org' }] };
    const saved = await handlers.setServerSettings(
      { change: { accessTokenLifetimeMs: 3_600_000, support } },
      sender,
    );
    assert.deepEqual(saved, { accessTokenLifetimeMs: 3_600_000, support });
    const res = await t.request('GET', '/.well-known/matrix/support');
    assert.deepEqual(res.body, support);
    await assert.rejects(handlers.setServerSettings({ change: { accessTokenLifetimeMs: 1 } }, sender), {
      name: 'M_INVALID_PARAM',
    });
    assert.equal(
      await session.get('lastError'),
      undefined,
      'input errors are shown in place, not as the last error',
    );
    await handlers.setServerSettings({ change: { support: null } }, sender);
    assert.equal((await t.request('GET', '/.well-known/matrix/support')).status, 404);
    await t.close();
  });
});
