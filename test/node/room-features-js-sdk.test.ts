// Room features across two `p2p-matrix serve` peers federating over real
// libp2p through a relay (the built CLI: `npm run build` first), driven by
// matrix-js-sdk as Element drives its homeserver: knocking, restricted
// joins, `knock_restricted`, room upgrades (into version 12 too), threads and
// space hierarchies, each with the room on one peer and a user of the other;
// at the end every room both peers hold has the same state on both.
//
// Every wait is bounded by a hang guard (a broken build fails instead of
// hanging); none of them is a timing assertion.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Direction, type MatrixClient, NotificationCountType, Preset, ThreadFilterType } from 'matrix-js-sdk';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';
import {
  type RelayProcess,
  type ServeProcess,
  startRelayProcess,
  startServe,
} from '../../scripts/harness/serve-process.ts';
import { startedClient, until } from '../support/js-sdk.ts';

/** The user's whole /sync as the server answers it (what any client would get). */
async function rawSync(baseUrl: string, client: MatrixClient) {
  const res = await fetch(`${baseUrl}/_matrix/client/v3/sync?timeout=0`, {
    headers: { authorization: `Bearer ${client.getAccessToken()}` },
  });
  // biome-ignore lint/suspicious/noExplicitAny: read field by field, as a client would.
  return (await res.json()) as any;
}

/** The room's current state as the client's peer holds it: state key → event id. */
async function stateIds(client: MatrixClient, roomId: string): Promise<Map<string, string>> {
  const events = await client.roomState(roomId);
  return new Map(events.map((e) => [`${e.type}|${e.state_key}`, e.event_id!]));
}

describe('room features across two serve peers (matrix-js-sdk)', () => {
  const dirs: string[] = [];
  let relay: RelayProcess;
  let a: ServeProcess;
  let b: ServeProcess;
  let alice: MatrixClient;
  let bob: MatrixClient;

  const servePeer = () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2pm-roomfeat-'));
    dirs.push(dir);
    return startServe(['--port', '0', '--data', dir, '--relay', relay.multiaddrs[0]!]);
  };

  before(async () => {
    // MatrixRTC logs through js-sdk's global logger, not the client's.
    (sdkLogger as unknown as { setLevel(level: string): void }).setLevel('silent');
    relay = await startRelayProcess();
    [a, b] = await Promise.all([servePeer(), servePeer()]);
    [alice, bob] = await Promise.all([startedClient(a.baseUrl, 'alice'), startedClient(b.baseUrl, 'bob')]);
  });

  const extra: MatrixClient[] = [];

  after(async () => {
    alice?.stopClient();
    bob?.stopClient();
    for (const client of extra) client.stopClient();
    await Promise.all([a?.stop(), b?.stop()]);
    await relay?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** Bob on B joins the room through A, and Alice sees him in. */
  async function bobJoinsThroughA(roomId: string): Promise<void> {
    await bob.joinRoom(roomId, { viaServers: [a.serverName] });
    await until(
      'alice sees bob in the room',
      () => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === 'join',
    );
  }

  /** Bob follows the old room's tombstone to the new room, joining through its sender's server. */
  async function bobFollowsTombstone(oldId: string, newId: string, name: string) {
    const tombstone = await until(
      'bob sees the tombstone',
      () => bob.getRoom(oldId)?.currentState.getStateEvents('m.room.tombstone', '') ?? undefined,
    );
    assert.equal(tombstone.getContent().replacement_room, newId);
    const via = tombstone.getSender()!.slice(tombstone.getSender()!.indexOf(':') + 1);
    await bob.joinRoom(newId, { viaServers: [via] });
    const room = await until('bob has the new room with its name', () => {
      const r = bob.getRoom(newId);
      return r?.name === name && r;
    });
    assert.equal(room.findPredecessor()?.roomId, oldId);
    return room;
  }

  test('knock → invite → join across the peers', async () => {
    const { room_id: roomId } = await alice.createRoom({
      preset: Preset.PrivateChat,
      name: 'Porch',
      room_version: '10',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    });
    await bob.knockRoom(roomId, { viaServers: [a.serverName], reason: 'may I?' });
    await until('bob sees his knock with the room’s name', () => {
      const room = bob.getRoom(roomId);
      return room?.getMyMembership() === 'knock' && room.name === 'Porch';
    });
    const knock = await until('alice sees bob knocking', () => {
      const member = alice.getRoom(roomId)?.getMember(bob.getUserId()!);
      return member?.membership === 'knock' && member;
    });
    assert.equal(knock.events.member?.getContent().reason, 'may I?');
    await alice.invite(roomId, bob.getUserId()!);
    await until('bob is invited', () => bob.getRoom(roomId)?.getMyMembership() === 'invite');
    await bob.joinRoom(roomId, { viaServers: [a.serverName] });
    await until(
      'alice sees bob joined',
      () => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === 'join',
    );
  });

  test('threads with replies across the peers: list, threaded receipts, unread counts', async () => {
    const [dan, erin] = await Promise.all([
      startedClient(a.baseUrl, 'dan', { threadSupport: true }),
      startedClient(b.baseUrl, 'erin', { threadSupport: true }),
    ]);
    extra.push(dan, erin);
    const { room_id: roomId } = await dan.createRoom({ preset: Preset.PublicChat, name: 'Threads' });
    await erin.joinRoom(roomId, { viaServers: [a.serverName] });
    const { event_id: root } = await dan.sendTextMessage(roomId, 'shall we talk in a thread?');
    await until('erin sees the root', () => erin.getRoom(roomId)?.findEventById(root));
    const { event_id: reply } = await erin.sendMessage(roomId, root, {
      msgtype: 'm.text',
      body: 'yes, here',
      'm.relates_to': { rel_type: 'm.thread', event_id: root },
    } as never);
    await until('dan sees the reply in the thread', () =>
      dan.getRoom(roomId)?.getThread(root)?.findEventById(reply),
    );
    await until(
      'dan has one unread in the thread',
      () => dan.getRoom(roomId)?.getThreadUnreadNotificationCount(root, NotificationCountType.Total) === 1,
    );

    const list = await dan.createThreadListMessagesRequest(
      roomId,
      null,
      20,
      Direction.Backward,
      ThreadFilterType.All,
    );
    assert.deepEqual(
      list.chunk.map((e) => e.event_id),
      [root],
    );
    const bundle = (list.chunk[0]!.unsigned as Record<string, Record<string, Record<string, unknown>>>)[
      'm.relations'
    ]!['m.thread']!;
    assert.equal(bundle.count, 1);
    assert.equal((bundle.latest_event as { event_id: string }).event_id, reply);
    const mine = await erin.createThreadListMessagesRequest(
      roomId,
      null,
      20,
      Direction.Backward,
      ThreadFilterType.My,
    );
    assert.deepEqual(
      mine.chunk.map((e) => e.event_id),
      [root],
    );

    // Dan reads the thread: a receipt with its thread id, and the thread's count drops.
    // The threaded receipt Element sends for a reply it shows in the thread view.
    const receipt = await fetch(
      `${a.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(reply)}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${dan.getAccessToken()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ thread_id: root }),
      },
    );
    assert.equal(receipt.status, 200);
    await until(
      'dan’s thread count is cleared by his threaded receipt',
      () => dan.getRoom(roomId)?.getThreadUnreadNotificationCount(root, NotificationCountType.Total) === 0,
    );
    await until('erin’s peer has dan’s receipt in the thread', async () => {
      const sync = await rawSync(b.baseUrl, erin);
      const receipts = sync.rooms?.join?.[roomId]?.ephemeral?.events ?? [];
      const mine = receipts.find((e: { type: string }) => e.type === 'm.receipt')?.content?.[reply];
      return mine?.['m.read']?.[dan.getUserId()!]?.thread_id === root;
    });
  });

  test('a restricted join across the peers: members of the space get in, others do not', async () => {
    const { room_id: space } = await alice.createRoom({
      preset: Preset.PublicChat,
      name: 'Club',
      creation_content: { type: 'm.space' },
    });
    const { room_id: roomId } = await alice.createRoom({
      preset: Preset.PrivateChat,
      name: 'Members only',
      room_version: '10',
      initial_state: [
        {
          type: 'm.room.join_rules',
          state_key: '',
          content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: space }] },
        },
      ],
    });
    await assert.rejects(
      bob.joinRoom(roomId, { viaServers: [a.serverName] }),
      (err: { errcode?: string }) => {
        assert.equal(err.errcode, 'M_FORBIDDEN');
        return true;
      },
    );
    await bob.joinRoom(space, { viaServers: [a.serverName] });
    await bob.joinRoom(roomId, { viaServers: [a.serverName] });
    const joined = await until('alice sees bob joined', () => {
      const member = alice.getRoom(roomId)?.getMember(bob.getUserId()!);
      return member?.membership === 'join' && member;
    });
    assert.equal(joined.events.member?.getContent().join_authorised_via_users_server, alice.getUserId());
    await until('bob has the room with its name', () => bob.getRoom(roomId)?.name === 'Members only');
  });

  test('an upgrade followed to the new room by a member on the other peer', async () => {
    const { room_id: oldId } = await alice.createRoom({ preset: Preset.PublicChat, name: 'Attic' });
    await bobJoinsThroughA(oldId);
    const { replacement_room: newId } = await alice.upgradeRoom(oldId, '11');
    await bobFollowsTombstone(oldId, newId, 'Attic');
    await until(
      'alice sees bob in the new room',
      () => alice.getRoom(newId)?.getMember(bob.getUserId()!)?.membership === 'join',
    );
  });

  test('an upgrade into version 12 followed by a member on the other peer: power as v12 defines it', async () => {
    const { room_id: oldId } = await alice.createRoom({
      preset: Preset.PublicChat,
      name: 'Cellar',
      room_version: '11',
    });
    await bobJoinsThroughA(oldId);
    await alice.setPowerLevel(oldId, bob.getUserId()!, 50);
    const { replacement_room: newId } = await alice.upgradeRoom(oldId, '12');
    assert.match(newId, /^![A-Za-z0-9_-]{43}$/, 'a version 12 room id names no server');
    const room = await bobFollowsTombstone(oldId, newId, 'Cellar');
    assert.equal(room.getVersion(), '12');
    // v12: the upgrader is the new room's creator, above the power levels and not in them;
    // the others keep the power they had.
    const levels = room.currentState.getStateEvents('m.room.power_levels', '')!.getContent();
    assert.equal(levels.users[alice.getUserId()!], undefined);
    assert.equal(levels.users[bob.getUserId()!], 50);
    const timelineHas = (client: MatrixClient, body: string) =>
      client
        .getRoom(newId)
        ?.getLiveTimeline()
        .getEvents()
        .some((e) => e.getContent().body === body);
    await bob.sendTextMessage(newId, 'moved in');
    await until('alice reads bob in the new room', () => timelineHas(alice, 'moved in'));
    await alice.sendTextMessage(newId, 'welcome');
    await until('bob reads alice in the new room', () => timelineHas(bob, 'welcome'));
    // Alice's member event reaches bob's client (lazily loaded) with her message.
    await until(
      'bob’s client sees alice’s infinite power',
      () => room.getMember(alice.getUserId()!)?.powerLevel === Number.POSITIVE_INFINITY,
    );
    await assert.rejects(bob.kick(newId, alice.getUserId()!, 'no'), (err: { errcode?: string }) => {
      assert.equal(err.errcode, 'M_FORBIDDEN');
      return true;
    });
  });

  test('knock_restricted: members of the allowed room join, others knock', async () => {
    const [carol, dave] = await Promise.all([
      startedClient(b.baseUrl, 'carol'),
      startedClient(b.baseUrl, 'dave'),
    ]);
    extra.push(carol, dave);
    const { room_id: space } = await alice.createRoom({
      preset: Preset.PublicChat,
      name: 'Guild',
      creation_content: { type: 'm.space' },
    });
    const { room_id: roomId } = await alice.createRoom({
      preset: Preset.PrivateChat,
      name: 'Guild hall',
      initial_state: [
        {
          type: 'm.room.join_rules',
          state_key: '',
          content: { join_rule: 'knock_restricted', allow: [{ type: 'm.room_membership', room_id: space }] },
        },
      ],
    });
    // Dave is in the space: the one rule lets him join directly.
    await dave.joinRoom(space, { viaServers: [a.serverName] });
    await dave.joinRoom(roomId, { viaServers: [a.serverName] });
    const joined = await until('alice sees dave joined', () => {
      const member = alice.getRoom(roomId)?.getMember(dave.getUserId()!);
      return member?.membership === 'join' && member;
    });
    assert.equal(joined.events.member?.getContent().join_authorised_via_users_server, alice.getUserId());
    // Carol is not: she may not join, but the same rule lets her knock.
    await assert.rejects(
      carol.joinRoom(roomId, { viaServers: [a.serverName] }),
      (err: { errcode?: string }) => {
        assert.equal(err.errcode, 'M_FORBIDDEN');
        return true;
      },
    );
    await carol.knockRoom(roomId, { viaServers: [a.serverName] });
    await until(
      'alice sees carol knocking',
      () => alice.getRoom(roomId)?.getMember(carol.getUserId()!)?.membership === 'knock',
    );
    await until('carol sees her knock with the room’s name', () => {
      const room = carol.getRoom(roomId);
      return room?.getMyMembership() === 'knock' && room.name === 'Guild hall';
    });
  });

  test('a space hierarchy with a child held on the other peer', async () => {
    const { room_id: child } = await bob.createRoom({
      preset: Preset.PublicChat,
      name: 'Garden shed',
      topic: 'on b',
    });
    const { room_id: space } = await alice.createRoom({
      preset: Preset.PublicChat,
      name: 'Estate',
      creation_content: { type: 'm.space' },
    });
    await alice.sendStateEvent(space, 'm.space.child' as never, { via: [b.serverName] } as never, child);
    const tree = await alice.getRoomHierarchy(space);
    const shed = tree.rooms.find((r) => r.room_id === child);
    assert.equal(shed?.name, 'Garden shed');
    assert.equal(shed?.topic, 'on b');
    assert.equal(tree.rooms.find((r) => r.room_id === space)?.children_state.length, 1);
  });

  test('every shared room’s state is the same on both peers', async () => {
    const onA = [alice, ...extra.filter((c) => c.baseUrl === a.baseUrl)];
    const onB = [bob, ...extra.filter((c) => c.baseUrl === b.baseUrl)];
    const reader = (clients: MatrixClient[], roomId: string) =>
      clients.find((c) => c.getRoom(roomId)?.getMyMembership() === 'join');
    const shared = new Set(
      onA
        .flatMap((c) => c.getRooms().map((r) => r.roomId))
        .filter((id) => reader(onA, id) && reader(onB, id)),
    );
    assert.ok(shared.size >= 6, `${shared.size} shared rooms`);
    for (const roomId of shared) {
      await until(`the state of ${roomId} agrees`, async () => {
        const [mine, theirs] = await Promise.all([
          stateIds(reader(onA, roomId)!, roomId),
          stateIds(reader(onB, roomId)!, roomId),
        ]);
        return mine.size > 0 && JSON.stringify([...mine].sort()) === JSON.stringify([...theirs].sort());
      });
    }
  });
});
