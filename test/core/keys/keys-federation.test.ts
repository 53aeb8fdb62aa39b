import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { crossSigningKey, type TestDevice, testDevice } from '../../support/device-keys.ts';
import {
  type Account,
  type Cluster,
  type ClusterNode,
  createFederatedCluster,
  eventually,
  type Json,
} from '../../support/federated-cluster.ts';
import { roguePeer } from '../federation/rogue-peer.ts';
import { join, sync, twoServerRoom } from '../federation/room-helpers.ts';

const V3 = '/_matrix/client/v3';

interface User extends Account {
  readonly deviceId: string;
  readonly device: TestDevice;
}

async function withKeys(node: ClusterNode, account: Account): Promise<User> {
  const who = await node.request('GET', `${V3}/account/whoami`, undefined, account.accessToken);
  const device = await testDevice(account.userId, who.body.device_id);
  const otks = Object.fromEntries([await device.signedKey('K1'), await device.signedKey('K2')]);
  const res = await node.request(
    'POST',
    `${V3}/keys/upload`,
    { device_keys: await device.deviceKeys(), one_time_keys: otks },
    account.accessToken,
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { ...account, deviceId: who.body.device_id, device };
}

/** Logs `user` in again on `node` (a new device) and uploads that device's keys. */
async function newDevice(node: ClusterNode, user: Account): Promise<User> {
  const login = await node.request('POST', `${V3}/login`, {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: user.userId },
    password: 'correct horse battery staple',
  });
  return withKeys(node, { userId: user.userId, accessToken: login.body.access_token });
}

describe('keys across servers', () => {
  let cluster: Cluster;
  let a: ClusterNode;
  let b: ClusterNode;
  let alice: User;
  let bob: User;
  let roomId: string;
  before(async () => {
    cluster = await createFederatedCluster(['a', 'b']);
    a = cluster.node('a');
    b = cluster.node('b');
    const room = await twoServerRoom(a, b);
    roomId = room.roomId;
    alice = await withKeys(a, room.alice);
    bob = await withKeys(b, room.bob);
  });
  after(() => cluster.close());

  const query = (userId: string) =>
    a.request('POST', `${V3}/keys/query`, { device_keys: { [userId]: [] } }, alice.accessToken);

  test('a user of A queries and claims the keys of a user of B', async () => {
    const res = await query(bob.userId);
    assert.deepEqual(res.body.failures, {});
    assert.deepEqual(Object.keys(res.body.device_keys[bob.userId]), [bob.deviceId]);
    const claim = await a.request(
      'POST',
      `${V3}/keys/claim`,
      { one_time_keys: { [bob.userId]: { [bob.deviceId]: 'signed_curve25519' } } },
      alice.accessToken,
    );
    assert.deepEqual(Object.keys(claim.body.one_time_keys[bob.userId][bob.deviceId]), [
      'signed_curve25519:K1',
    ]);
  });

  test('to-device messages reach the other server’s device and go once acknowledged', async () => {
    const first = await sync(b, bob);
    const sent = await a.request(
      'PUT',
      `${V3}/sendToDevice/m.test/t1`,
      { messages: { [bob.userId]: { [bob.deviceId]: { hello: 'bob' } } } },
      alice.accessToken,
    );
    assert.equal(sent.status, 200);
    // The same transaction id again is not sent twice.
    await a.request(
      'PUT',
      `${V3}/sendToDevice/m.test/t1`,
      { messages: { [bob.userId]: { '*': { hello: 'again' } } } },
      alice.accessToken,
    );
    const got = await eventually(async () => {
      const body = await sync(b, bob, first.next_batch);
      return body.to_device.events.length > 0 && body;
    }, 'the message reaches bob');
    assert.deepEqual(got.to_device.events, [
      { sender: alice.userId, type: 'm.test', content: { hello: 'bob' } },
    ]);
    // Synced again from the old token: still there; acknowledged by the new one: gone.
    assert.equal((await sync(b, bob, first.next_batch)).to_device.events.length, 1);
    const next = await sync(b, bob, got.next_batch);
    assert.equal(next.to_device.events.length, 0);
    assert.equal((await sync(b, bob, first.next_batch)).to_device.events.length, 0);
  });

  test('a new device of B shows in A’s device_lists, and A’s copy follows without asking B', async () => {
    const before = await sync(a, alice);
    const second = await newDevice(b, bob);
    await eventually(async () => {
      const body = await sync(a, alice, before.next_batch);
      return body.device_lists.changed.includes(bob.userId);
    }, 'alice sees bob’s device list change');
    cluster.network.disconnect(b.serverName);
    const res = await query(bob.userId);
    assert.deepEqual(
      Object.keys(res.body.device_keys[bob.userId]).sort(),
      [bob.deviceId, second.deviceId].sort(),
    );
    cluster.network.reconnect(b.serverName);
  });

  test('cross-signing keys uploaded on B reach A’s copy (m.signing_key_update)', async () => {
    await query(bob.userId);
    const master = await crossSigningKey(bob.userId, 'master');
    const ssk = await crossSigningKey(bob.userId, 'self_signing', master);
    const res = await b.request(
      'POST',
      `${V3}/keys/device_signing/upload`,
      { master_key: master.key, self_signing_key: ssk.key },
      bob.accessToken,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await eventually(async () => {
      cluster.network.disconnect(b.serverName);
      const copy = await query(bob.userId);
      cluster.network.reconnect(b.serverName);
      return copy.body.master_keys[bob.userId] && copy.body.self_signing_keys[bob.userId];
    }, 'A answers with bob’s cross-signing keys from its own copy');
  });

  test('a device added while B shared no room with A is seen once B’s user joins again', async () => {
    await query(bob.userId);
    const enc = encodeURIComponent(roomId);
    assert.equal((await b.request('POST', `${V3}/rooms/${enc}/leave`, {}, bob.accessToken)).status, 200);
    await eventually(async () => {
      const members = await a.request(
        'GET',
        `${V3}/rooms/${enc}/joined_members`,
        undefined,
        alice.accessToken,
      );
      return !members.body.joined[bob.userId];
    }, 'A sees bob leave');
    const unseen = await newDevice(b, bob);
    assert.equal((await join(b, bob, roomId, [a.serverName])).status, 200);
    await eventually(async () => {
      const members = await a.request(
        'GET',
        `${V3}/rooms/${enc}/joined_members`,
        undefined,
        alice.accessToken,
      );
      return members.body.joined[bob.userId];
    }, 'A sees bob join again');
    const res = await query(bob.userId);
    assert.ok(res.body.device_keys[bob.userId][unseen.deviceId], 'A fetched the list again');
  });

  test('a device deleted on B disappears from A’s copy', async () => {
    const extra = await newDevice(b, bob);
    await eventually(
      async () => (await query(bob.userId)).body.device_keys[bob.userId][extra.deviceId],
      'A has it',
    );
    await b.request('POST', `${V3}/logout`, {}, extra.accessToken);
    await eventually(
      async () => (await query(bob.userId)).body.device_keys[bob.userId][extra.deviceId] === undefined,
      'A’s copy loses the device',
    );
  });

  test('while B is offline, to-device messages wait in A’s outbox and arrive when it is back', async () => {
    const first = await sync(b, bob);
    cluster.network.disconnect(b.serverName);
    const sent = await a.request(
      'PUT',
      `${V3}/sendToDevice/m.test/t2`,
      { messages: { [bob.userId]: { [bob.deviceId]: { while: 'away' } } } },
      alice.accessToken,
    );
    assert.equal(sent.status, 200);
    const failing = await a.request(
      'POST',
      `${V3}/keys/query`,
      { device_keys: { '@carol:unknown': [] }, timeout: 200 },
      alice.accessToken,
    );
    assert.ok(failing.body.failures.unknown, 'an unreachable server is listed under failures');
    cluster.network.reconnect(b.serverName);
    await eventually(async () => {
      const body = await sync(b, bob, first.next_batch);
      return body.to_device.events.some((e: Json) => e.content.while === 'away');
    }, 'the message reaches bob after B is back');
  });

  test('large to-device messages queued for an offline peer go in transactions it accepts', async () => {
    const first = await sync(b, bob);
    cluster.network.disconnect(b.serverName);
    for (let i = 0; i < 80; i++) {
      const content = { i, ciphertext: 'x'.repeat(60_000) };
      const res = await a.request(
        'PUT',
        `${V3}/sendToDevice/m.test/big${i}`,
        { messages: { [bob.userId]: { [bob.deviceId]: content } } },
        alice.accessToken,
      );
      assert.equal(res.status, 200);
    }
    cluster.network.reconnect(b.serverName);
    const got = await eventually(async () => {
      const body = await sync(b, bob, first.next_batch);
      return body.to_device.events.length >= 80 && body;
    }, 'all 80 messages (about 4.8 MB) reach bob');
    assert.deepEqual(
      got.to_device.events.map((e: Json) => e.content.i),
      Array.from({ length: 80 }, (_, i) => i),
    );
    await sync(b, bob, got.next_batch);
  });

  test('a gap in the stream_id chain makes the other server fetch the whole list again', async () => {
    // B holds alice's list (it asked once); alice adds two devices while B is away, and the first
    // update is lost on the way (taken out of A's outbox), so B sees a prev_id it never had.
    await b.request('POST', `${V3}/keys/query`, { device_keys: { [alice.userId]: [] } }, bob.accessToken);
    cluster.network.disconnect(b.serverName);
    const added: string[] = [];
    for (const _ of [1, 2]) {
      added.push((await newDevice(a, alice)).deviceId);
      if (added.length === 1) await dropQueuedEdus(a, b.serverName, 'm.device_list_update');
    }
    cluster.network.reconnect(b.serverName);
    await eventually(async () => {
      const res = await b.request(
        'POST',
        `${V3}/keys/query`,
        { device_keys: { [alice.userId]: [] } },
        bob.accessToken,
      );
      return added.every((d) => res.body.device_keys[alice.userId][d]);
    }, 'B fetched alice’s whole list again');
  });

  test('keys and waiting to-device messages survive a restart of the node', async () => {
    const first = await sync(b, bob);
    await a.request(
      'PUT',
      `${V3}/sendToDevice/m.test/t3`,
      { messages: { [bob.userId]: { [bob.deviceId]: { kept: true } } } },
      alice.accessToken,
    );
    await eventually(
      async () => (await sync(b, bob, first.next_batch)).to_device.events.length > 0,
      'delivered',
    );
    b = await cluster.restart('b');
    const again = await sync(b, bob, first.next_batch);
    assert.deepEqual(
      again.to_device.events.map((e: Json) => e.content),
      [{ kept: true }],
    );
    assert.deepEqual(again.device_one_time_keys_count, { signed_curve25519: 1 });
    const res = await query(bob.userId);
    assert.ok(res.body.device_keys[bob.userId][bob.deviceId]);
  });

  test('a peer’s bad device-list and to-device EDUs are dropped', async () => {
    const rogue = await roguePeer(cluster);
    const before = await sync(b, bob);
    const forged = await testDevice(alice.userId, 'FORGED');
    await rogue.send(
      b.serverName,
      [],
      [
        // About a user it does not own.
        {
          edu_type: 'm.device_list_update',
          content: {
            user_id: alice.userId,
            device_id: 'FORGED',
            stream_id: 99,
            prev_id: [],
            keys: await forged.deviceKeys(),
          },
        },
        // A to-device message claiming another server's sender.
        {
          edu_type: 'm.direct_to_device',
          content: {
            sender: alice.userId,
            type: 'm.test',
            message_id: 'x1',
            messages: { [bob.userId]: { '*': { forged: true } } },
          },
        },
      ],
    );
    const after = await sync(b, bob, before.next_batch);
    assert.deepEqual(after.to_device.events, []);
    const res = await b.request(
      'POST',
      `${V3}/keys/query`,
      { device_keys: { [alice.userId]: [] } },
      bob.accessToken,
    );
    assert.equal(res.body.device_keys[alice.userId].FORGED, undefined);
    assert.ok(b.problems.length === 0, b.problems.join('\n'));

    // A flood: beyond the peer's quota of waiting messages, the rest are dropped.
    let sent = 0;
    for (let txn = 0; txn < 11; txn++) {
      const edus = Array.from({ length: 100 }, () => ({
        edu_type: 'm.direct_to_device',
        content: {
          sender: rogue.user('spam'),
          type: 'm.test',
          message_id: `m${sent++}`,
          messages: { [bob.userId]: { [bob.deviceId]: { n: sent } } },
        },
      }));
      await rogue.send(b.serverName, [], edus);
    }
    const flooded = await sync(b, bob, after.next_batch);
    assert.equal(flooded.to_device.events.filter((e: Json) => e.sender === rogue.user('spam')).length, 1000);
  });

  test('a peer claiming more than its quota of one-time keys gets 429', async () => {
    const rogue = await roguePeer(cluster, 0x67);
    const claim = (devices: number) =>
      rogue.transport.request(b.serverName, {
        method: 'POST',
        path: '/_matrix/federation/v1/user/keys/claim',
        origin: rogue.serverName,
        body: {
          one_time_keys: {
            [bob.userId]: Object.fromEntries(
              Array.from({ length: devices }, (_, i) => [`D${i}`, 'signed_curve25519']),
            ),
          },
        },
      });
    assert.equal((await claim(999)).status, 200);
    const over = await claim(2);
    assert.equal(over.status, 429);
    assert.equal((over.body as Json).errcode, 'M_LIMIT_EXCEEDED');
  });
});

/** Takes the queued EDUs of a type for a destination out of a node's outbox (a lost delivery). */
async function dropQueuedEdus(node: ClusterNode, destination: string, eduType: string): Promise<void> {
  await node.store.write(['fed_outbox'], async (tx) => {
    const rows = await tx.query<Json>('fed_outbox', {
      index: 'destination',
      range: { lower: [destination, 0], upper: [destination, Number.MAX_SAFE_INTEGER] },
    });
    for (const row of rows) if (row.edu_type === eduType) await tx.delete('fed_outbox', row.id);
  });
}
