import { closeDom } from './support/dom.ts';
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { h } from 'preact';
import { Directory } from '../../popup/components/directory.ts';
import type { DirectoryResult } from '../../src/platform/web/popup-messages.ts';
import { deferred, fakeClient, named, SERVER_NAME } from './support/fakes.ts';

afterEach(cleanup);
after(closeDom);

const PEER = 'f'.repeat(64);

describe('the room directory', () => {
  test('searching: space reserved', () => {
    const client = fakeClient({ searchDirectory: () => deferred<DirectoryResult>().promise });
    render(h(Directory, { client }));
    assert.ok(screen.getByText('Searching…'));
  });

  test('this server only: says the network directory is not reachable, and no rooms', async () => {
    const reason = 'This server is not connected to the network yet: these are only its own published rooms.';
    const client = fakeClient({ searchDirectory: async () => ({ state: 'local', reason, rooms: [] }) });
    render(h(Directory, { client }));
    await screen.findByText(reason);
    assert.ok(screen.getByText('No rooms found.'));
  });

  test('network results show where each room was found; a search sends the term', async () => {
    const client = fakeClient({
      searchDirectory: async ({ term }) => ({
        state: 'network',
        rooms:
          term === ''
            ? []
            : [
                {
                  roomId: `!r:${PEER}`,
                  alias: `#garden:${PEER}`,
                  name: 'Garden club',
                  topic: 'Tomatoes',
                  members: 3,
                  foundOn: [PEER, SERVER_NAME],
                },
              ],
      }),
    });
    render(h(Directory, { client }));
    await screen.findByText('No rooms found.');
    fireEvent.input(screen.getByLabelText('Search the room directory'), { target: { value: 'garden' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    const rooms = within(await screen.findByRole('list', { name: 'Rooms found' }));
    assert.ok(rooms.getByText('Garden club'));
    assert.ok(rooms.getByText('3 members'));
    const found = rooms.getByText(/^found on /);
    assert.equal(found.textContent, 'found on ffffffff…ffffff, a1b2c3d4…7e8f9a');
    assert.equal(found.getAttribute('title'), `${PEER}\n${SERVER_NAME}`);
    assert.deepEqual(
      client.sent.map((s) => s.params),
      [{ term: '' }, { term: 'garden' }],
    );
  });

  test('a failed search is shown in words', async () => {
    const client = fakeClient({
      searchDirectory: async () => {
        throw named('M_UNKNOWN', 'Internal server error');
      },
    });
    render(h(Directory, { client }));
    await waitFor(() => assert.ok(screen.getByText('The search failed: Internal server error')));
  });
});
