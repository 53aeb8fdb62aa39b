import { closeDom } from './support/dom.ts';
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { h } from 'preact';
import { Account } from '../../popup/components/account.ts';
import { deferred, fakeBrowser, fakeClient, named, SERVER_NAME } from './support/fakes.ts';

afterEach(cleanup);
after(closeDom);

const ready = { state: 'ready', serverName: SERVER_NAME, url: 'https://p2p-matrix.invalid' } as const;

function fillIn(username: string, password: string) {
  fireEvent.input(screen.getByLabelText('Username'), { target: { value: username } });
  fireEvent.input(screen.getByLabelText('Password'), { target: { value: password } });
  fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
}

describe('the account view', () => {
  test('while the homeserver starts, shows no form yet', () => {
    const client = fakeClient();
    render(
      h(Account, {
        homeserver: { state: 'starting' },
        account: undefined,
        client,
        copy: fakeBrowser().copyText,
      }),
    );
    assert.ok(screen.getByText('Starting the homeserver…'));
    assert.equal(screen.queryByLabelText('Username'), null);
  });

  test('on first run, creates the account through the background', async () => {
    const reply = deferred<{ state: 'exists'; userId: string }>();
    const client = fakeClient({ createAccount: () => reply.promise });
    render(
      h(Account, { homeserver: ready, account: { state: 'none' }, client, copy: fakeBrowser().copyText }),
    );
    fillIn('alice', 'correct horse');
    await screen.findByRole('button', { name: 'Creating…' });
    assert.deepEqual(client.sent, [
      { type: 'createAccount', params: { username: 'alice', password: 'correct horse' } },
    ]);
    reply.resolve({ state: 'exists', userId: `@alice:${SERVER_NAME}` });
    await screen.findByRole('button', { name: 'Create account' });
  });

  test('a short password is refused before anything is sent', () => {
    const client = fakeClient();
    render(
      h(Account, { homeserver: ready, account: { state: 'none' }, client, copy: fakeBrowser().copyText }),
    );
    fillIn('alice', 'short');
    assert.equal(screen.getByRole('alert').textContent, 'Use a password of at least 8 characters.');
    assert.deepEqual(client.sent, []);
  });

  test("the homeserver's refusal is shown in words", async () => {
    const client = fakeClient({
      createAccount: async () => {
        throw named('M_USER_IN_USE', 'User ID already taken');
      },
    });
    render(
      h(Account, { homeserver: ready, account: { state: 'none' }, client, copy: fakeBrowser().copyText }),
    );
    fillIn('alice', 'correct horse');
    await waitFor(() =>
      assert.equal(screen.getByRole('alert').textContent, 'That username is taken: choose another one.'),
    );
  });

  test('once the account exists, shows the full user ID, copyable', async () => {
    const browser = fakeBrowser();
    const userId = `@alice:${SERVER_NAME}`;
    render(
      h(Account, {
        homeserver: ready,
        account: { state: 'exists', userId },
        client: fakeClient(),
        copy: browser.copyText,
      }),
    );
    assert.equal((screen.getByLabelText('Your user ID') as HTMLInputElement).value, userId);
    assert.equal(screen.queryByLabelText('Password'), null);
    fireEvent.click(screen.getByRole('button', { name: 'Copy user ID' }));
    await screen.findByText('Copied');
    assert.deepEqual(browser.copied, [userId]);
  });
});
