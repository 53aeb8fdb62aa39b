// Issue 12, "size and count quotas per peer for invites, knocks, …", through
// the real wire: a peer mints users and knocks on a room of ours with each.
// Every knock is a state event the room keeps and every member's client
// shows; now one server may leave at most MAX_PENDING_KNOCKS_PER_SERVER
// knocks waiting in one room (429 M_LIMIT_EXCEEDED past it, also when the
// knocks come at once), and once the room's admin answers one, the next is
// taken.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_PENDING_KNOCKS_PER_SERVER } from '../../../src/core/federation/routes/membership-routes.ts';
import { roomFacts, rogueMemberEvent } from '../../core/federation/rogue-peer.ts';
import { say, seesTexts } from '../../core/federation/room-helpers.ts';
import { oneNodeAndRogue } from '../../support/one-node-and-rogue.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
const KNOCKS = MAX_PENDING_KNOCKS_PER_SERVER + 5;

describe('a knock flood from one peer over libp2p', () => {
  const t = oneNodeAndRogue({
    rogueSeed: 0x6c,
    room: {
      preset: 'private_chat',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    },
  });

  async function knock(localpart: string) {
    const { a, alice, roomId, rogue } = t;
    const facts = await roomFacts(a, alice.accessToken, roomId);
    const { pdu, eventId } = await rogueMemberEvent(rogue, roomId, facts, localpart, 'knock');
    return rogue.transport.request(a.serverName, {
      method: 'PUT',
      path: `/_matrix/federation/v1/send_knock/${enc(roomId)}/${enc(eventId)}`,
      origin: rogue.serverName,
      body: pdu,
    });
  }

  const knockers = async () => {
    const { a, alice, roomId } = t;
    const res = await a.request(
      'GET',
      `${V3}/rooms/${enc(roomId)}/members?membership=knock`,
      undefined,
      alice.accessToken,
    );
    assert.equal(res.status, 200);
    return (res.body.chunk as { state_key: string }[]).map((e) => e.state_key);
  };

  test('knocks past the quota, many at once, are refused; the room goes on', async () => {
    const { a, alice, roomId } = t;
    // Two waves of knocks at once, each within the transport's 16 requests per peer in flight.
    const wave = (from: number, to: number) =>
      Promise.all(Array.from({ length: to - from }, (_, i) => knock(`k${from + i}`)));
    const half = Math.floor(KNOCKS / 2);
    const answers = [...(await wave(0, half)), ...(await wave(half, KNOCKS))];
    const accepted = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status === 429);
    assert.equal(
      accepted.length,
      MAX_PENDING_KNOCKS_PER_SERVER,
      JSON.stringify(answers.map((r) => r.status)),
    );
    assert.equal(refused.length, KNOCKS - MAX_PENDING_KNOCKS_PER_SERVER);
    for (const r of refused) assert.equal((r.body as { errcode?: string }).errcode, 'M_LIMIT_EXCEEDED');
    assert.equal((await knockers()).length, MAX_PENDING_KNOCKS_PER_SERVER);
    await say(a, alice, roomId, 'still here');
    await seesTexts(a, alice, roomId, ['still here']);
  });

  test('once the admin answers a knock, the next one is taken', async () => {
    const { a, alice, roomId } = t;
    const [first] = await knockers();
    const kicked = await a.request(
      'POST',
      `${V3}/rooms/${enc(roomId)}/kick`,
      { user_id: first },
      alice.accessToken,
    );
    assert.equal(kicked.status, 200, JSON.stringify(kicked.body));
    assert.equal((await knock('late')).status, 200);
    assert.equal((await knock('later')).status, 429);
  });
});
