import { closeDom } from './support/dom.ts';
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { h } from 'preact';
import { ServerSettings } from '../../popup/components/server-settings.ts';
import type { ServerSettingsChange, ServerSettingsView } from '../../src/platform/web/popup-messages.ts';
import { fakeClient, named } from './support/fakes.ts';

afterEach(cleanup);
after(closeDom);

const input = (label: string) => screen.getByLabelText(label) as HTMLInputElement;
const type = (label: string, value: string) => fireEvent.input(input(label), { target: { value } });
const save = () => fireEvent.click(screen.getByRole('button', { name: 'Save homeserver settings' }));
const errorText = () => document.getElementById('server-settings-error')?.textContent ?? '';

const LIFETIME = 'Access token lifetime with refresh tokens (minutes)';

describe('the homeserver settings view', () => {
  test('shows the settings in force: 5 minutes, no contact', async () => {
    render(
      h(ServerSettings, {
        client: fakeClient({ getServerSettings: async () => ({ accessTokenLifetimeMs: 300_000 }) }),
      }),
    );
    await screen.findByLabelText(LIFETIME);
    assert.equal(input(LIFETIME).value, '5');
    assert.equal(input('Support contact: Matrix ID').value, '');
    assert.equal(input('Support contact: email').value, '');
  });

  test('saves the lifetime and the contact; empty fields publish none', async () => {
    const changes: ServerSettingsChange[] = [];
    let current: ServerSettingsView = { accessTokenLifetimeMs: 300_000 };
    const client = fakeClient({
      getServerSettings: async () => current,
      setServerSettings: async ({ change }) => {
        changes.push(change);
        current = {
          accessTokenLifetimeMs: change.accessTokenLifetimeMs ?? 300_000,
          ...(change.support ? { support: change.support } : {}),
        };
        return current;
      },
    });
    render(h(ServerSettings, { client }));
    await screen.findByLabelText(LIFETIME);
    type(LIFETIME, '60');
    type('Support contact: Matrix ID', '@owner:example.org');
    type('Support page', 'https://example.org/help');
    save();
    await screen.findByText('Saved.');
    assert.deepEqual(changes[0], {
      accessTokenLifetimeMs: 3_600_000,
      support: {
        contacts: [{ role: 'm.role.admin', matrix_id: '@owner:example.org' }],
        support_page: 'https://example.org/help',
      },
    });
    type('Support contact: Matrix ID', '');
    type('Support page', '');
    save();
    await waitFor(() => assert.equal(changes.length, 2));
    assert.equal(changes[1]!.support, null);
  });

  test('a lifetime out of range is refused before asking; the homeserver refusing is said', async () => {
    const client = fakeClient({
      getServerSettings: async () => ({ accessTokenLifetimeMs: 300_000 }),
      setServerSettings: async () => {
        throw named('M_INVALID_PARAM', 'matrix_id must be a user ID');
      },
    });
    render(h(ServerSettings, { client }));
    await screen.findByLabelText(LIFETIME);
    type(LIFETIME, '0');
    save();
    await waitFor(() => assert.match(errorText(), /whole number of minutes from 1 to 10080/));
    assert.equal(client.sent.filter((s) => s.type === 'setServerSettings').length, 0);
    type(LIFETIME, '5');
    type('Support contact: Matrix ID', 'owner');
    save();
    await waitFor(() => assert.equal(errorText(), 'matrix_id must be a user ID'));
  });
});
