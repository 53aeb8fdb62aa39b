// Finding 2 of issue 12, through the real wire: a peer joins a public room and
// sends one event at the highest depth canonical JSON can carry (2**53 - 1).
// Before the fix the next local event got depth 2**53, which cannot be
// encoded, and every send, state change and kick in the room answered 500.
// Now a local event's depth is capped there (nextDepth): the room goes on and
// its admin kicks the attacker.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_EVENT_DEPTH } from '../../../src/core/protocol.ts';
import { eventRowOf, roomTableNames } from '../../../src/core/rooms/federation-api.ts';
import { say, seesTexts } from '../../core/federation/room-helpers.ts';
import { rogueJoins } from '../../core/federation/rogue-peer.ts';
import { oneNodeAndRogue } from '../../support/one-node-and-rogue.ts';

const enc = encodeURIComponent;

describe('an event at the highest depth, from a peer over libp2p', () => {
  // The rogue takes whatever the room sends it.
  const t = oneNodeAndRogue({ rogueSeed: 0x66, serve: async () => ({ status: 200, body: { pdus: {} } }) });

  test('the room still takes sends, state changes and the kick of the attacker', async () => {
    const { a, alice, roomId, rogue } = t;
    const { userId: mallory, eventId: joinId, facts } = await rogueJoins(rogue, a, alice.accessToken, roomId);
    const deep = await rogue.event({
      room_id: roomId,
      type: 'm.room.message',
      sender: mallory,
      content: { msgtype: 'm.text', body: 'deepest' },
      prev_events: [joinId],
      auth_events: [facts.create, facts.powerLevels, joinId],
      depth: MAX_EVENT_DEPTH,
    });
    const res = await rogue.send(a.serverName, [deep.pdu]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { pdus: { [deep.eventId]: {} } });
    await seesTexts(a, alice, roomId, ['deepest']);

    const sent = await say(a, alice, roomId, 'still here');
    const topic = await a.request(
      'PUT',
      `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`,
      { topic: 'after the deep event' },
      alice.accessToken,
    );
    assert.equal(topic.status, 200, JSON.stringify(topic.body));
    const kick = await a.request(
      'POST',
      `/_matrix/client/v3/rooms/${enc(roomId)}/kick`,
      { user_id: mallory, reason: 'depth attack' },
      alice.accessToken,
    );
    assert.equal(kick.status, 200, JSON.stringify(kick.body));

    const member = await a.request(
      'GET',
      `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(mallory)}`,
      undefined,
      alice.accessToken,
    );
    assert.equal(member.body.membership, 'leave');
    // Local events sit at the cap, on top of the attacker's event, not beyond it.
    const row = await a.store.read(roomTableNames, (tx) => eventRowOf(tx, sent));
    assert.equal(row?.depth, MAX_EVENT_DEPTH);
  });
});
