import { closeDom } from './support/dom.ts';
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { h } from 'preact';
import { Aliases } from '../../popup/components/aliases.ts';
import type { AliasList } from '../../src/platform/web/popup-messages.ts';
import { deferred, fakeClient, named, SERVER_NAME } from './support/fakes.ts';

afterEach(cleanup);
after(closeDom);

const account = { state: 'exists', userId: `@alice:${SERVER_NAME}` } as const;
const ROOM = `!abc:${SERVER_NAME}`;
const ALIAS = `#team:${SERVER_NAME}`;

function ready(rooms: Extract<AliasList, { state: 'ready' }>['rooms']): AliasList {
  return { state: 'ready', serverName: SERVER_NAME, rooms };
}

describe('the aliases view', () => {
  test('loading: space reserved until the list arrives', () => {
    const client = fakeClient({ listAliases: () => deferred<AliasList>().promise });
    render(h(Aliases, { client, account }));
    assert.ok(screen.getByText('Loading aliases…'));
  });

  test('without the account: says what to do first', async () => {
    const reason = 'Create the local account first: aliases are managed as that account.';
    const client = fakeClient({ listAliases: async () => ({ state: 'unavailable', reason, rooms: [] }) });
    render(h(Aliases, { client, account: { state: 'none' } }));
    await screen.findByText(reason);
  });

  test('empty: no rooms joined yet', async () => {
    const client = fakeClient({ listAliases: async () => ready([]) });
    render(h(Aliases, { client, account }));
    await screen.findByText(/has not joined any rooms yet/);
  });

  test('a failed read is shown in words', async () => {
    const client = fakeClient({
      listAliases: async () => {
        throw named('ProtocolError', 'no reply to listAliases');
      },
    });
    render(h(Aliases, { client, account }));
    await screen.findByText(/^Could not read the aliases: The background did not answer/);
  });

  test('populated: rooms with their aliases and directory listing; remove and unpublish', async () => {
    let list = ready([{ roomId: ROOM, name: 'Team', aliases: [ALIAS], published: true }]);
    const client = fakeClient({
      listAliases: async () => list,
      removeAlias: async () => {
        list = ready([{ roomId: ROOM, name: 'Team', aliases: [], published: true }]);
        return list;
      },
      setPublished: async ({ published }) => {
        list = ready([{ roomId: ROOM, name: 'Team', aliases: [], published }]);
        return list;
      },
    });
    render(h(Aliases, { client, account }));
    const aliases = within(await screen.findByRole('list', { name: 'Aliases of Team' }));
    assert.equal(aliases.getByTitle(ALIAS).textContent, '#team:a1b2c3d4…7e8f9a');
    const listed = screen.getByLabelText('List Team in the directory') as HTMLInputElement;
    assert.equal(listed.checked, true);
    fireEvent.click(aliases.getByRole('button', { name: `Remove alias ${ALIAS}` }));
    await screen.findByText('No alias yet');
    fireEvent.click(listed);
    await waitFor(() =>
      assert.equal((screen.getByLabelText('List Team in the directory') as HTMLInputElement).checked, false),
    );
    assert.deepEqual(
      client.sent.map((s) => s.type),
      ['listAliases', 'removeAlias', 'setPublished'],
    );
    assert.deepEqual(client.sent[2]!.params, { roomId: ROOM, published: false });
  });

  test('adds an alias to the chosen room; a refusal is shown in words', async () => {
    const other = `!def:${SERVER_NAME}`;
    const rooms = [
      { roomId: ROOM, name: 'Team', aliases: [], published: false },
      { roomId: other, name: null, aliases: [], published: false },
    ];
    let refuse = true;
    const client = fakeClient({
      listAliases: async () => ready(rooms),
      addAlias: async ({ localpart, roomId }) => {
        if (refuse) throw named('M_ROOM_IN_USE', 'Room alias already taken');
        return ready(
          rooms.map((r) => (r.roomId === roomId ? { ...r, aliases: [`#${localpart}:${SERVER_NAME}`] } : r)),
        );
      },
    });
    render(h(Aliases, { client, account }));
    const room = await screen.findByLabelText('Room');
    fireEvent.change(room, { target: { value: other } });
    fireEvent.input(screen.getByLabelText('Alias'), { target: { value: 'lobby' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add alias' }));
    await screen.findByText('That alias is already in use.');
    refuse = false;
    fireEvent.click(screen.getByRole('button', { name: 'Add alias' }));
    await screen.findByTitle(`#lobby:${SERVER_NAME}`);
    assert.deepEqual(client.sent.at(-1), { type: 'addAlias', params: { localpart: 'lobby', roomId: other } });
  });
});
