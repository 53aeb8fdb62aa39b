import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MemberProfile } from '../../../src/core/rooms/deps.ts';
import { path, startHarness } from './harness.ts';

describe('account hooks', () => {
  test('a profile change updates member events; deactivation leaves every room; directory search', async () => {
    const profiles: Record<string, MemberProfile> = {};
    const hs = await startHarness({ profiles });
    const alice = hs.user('alice');
    const bob = hs.user('bob');
    profiles[alice] = { displayname: 'Alice' };
    const hooks = hs.rooms.accountHooks;
    const shared = await hs.createRoom(alice, { preset: 'public_chat' });
    const other = await hs.createRoom(alice, { invite: [bob] });
    await hs.request('POST', path`/_matrix/client/v3/rooms/${shared}/join`, { as: bob, body: {} });
    const member = async (roomId: string, userId: string) =>
      (
        await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/state/m.room.member/${userId}`, {
          as: alice,
        })
      ).body;
    assert.equal((await member(shared, alice)).displayname, 'Alice');

    profiles[alice] = { displayname: 'Alice B.', avatar_url: 'mxc://x/y' };
    await hooks.profileChanged(alice);
    assert.deepEqual(await member(shared, alice), {
      membership: 'join',
      displayname: 'Alice B.',
      avatar_url: 'mxc://x/y',
    });
    assert.equal((await member(other, alice)).displayname, 'Alice B.');

    const found = await hooks.directoryCandidates(bob, 'alice b', 10);
    assert.deepEqual(found, [{ user_id: alice, display_name: 'Alice B.', avatar_url: 'mxc://x/y' }]);
    assert.deepEqual(await hooks.directoryCandidates(bob, 'nobody', 10), []);

    await hooks.userDeactivated(bob);
    assert.equal((await member(shared, bob)).membership, 'leave');
    assert.equal((await member(other, bob)).membership, 'leave');
    await hs.close();
  });
});
