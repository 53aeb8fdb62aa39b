import { closeDom } from './support/dom.ts';
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { h } from 'preact';
import { Settings } from '../../popup/components/settings.ts';
import { DEFAULT_SETTINGS, type NetworkSettings } from '../../src/platform/web/network-settings.ts';
import { fakeClient, named } from './support/fakes.ts';

afterEach(cleanup);
after(closeDom);

const RELAY = '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWLRPJAA5o6W9sA4uUcjgdLQ8JVYvAhJ9LhJbDJAXS1kbb';

function save() {
  fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
}

function errorText(): string {
  return document.getElementById('settings-error')?.textContent ?? '';
}

describe('the settings view', () => {
  test('loading: space reserved', () => {
    render(h(Settings, { settings: undefined, client: fakeClient() }));
    assert.ok(screen.getByText('Loading settings…'));
  });

  test('shows the settings in force: empty by default', () => {
    render(h(Settings, { settings: DEFAULT_SETTINGS, client: fakeClient() }));
    assert.equal(
      (screen.getByLabelText('Display name (what other peers see)') as HTMLInputElement).value,
      '',
    );
    assert.equal((screen.getByLabelText('Relays (one multiaddr per line)') as HTMLTextAreaElement).value, '');
    assert.equal((screen.getByLabelText('ICE servers (one per line)') as HTMLTextAreaElement).value, '');
  });

  test('populated: relays and ICE servers one per line', () => {
    const settings: NetworkSettings = {
      displayName: 'Kitchen laptop',
      relays: [RELAY],
      iceServers: [
        { urls: 'stun:stun.example.org:3478' },
        { urls: 'turn:t.example', username: 'u', credential: 'c' },
      ],
    };
    render(h(Settings, { settings, client: fakeClient() }));
    assert.equal(
      (screen.getByLabelText('Relays (one multiaddr per line)') as HTMLTextAreaElement).value,
      RELAY,
    );
    assert.equal(
      (screen.getByLabelText('ICE servers (one per line)') as HTMLTextAreaElement).value,
      'stun:stun.example.org:3478\nturn:t.example u c',
    );
  });

  test('saves what was typed, checked', async () => {
    const client = fakeClient({
      setSettings: async ({ settings }) => ({ ...DEFAULT_SETTINGS, ...settings }),
    });
    render(h(Settings, { settings: DEFAULT_SETTINGS, client }));
    fireEvent.input(screen.getByLabelText('Display name (what other peers see)'), {
      target: { value: ' Laptop ' },
    });
    fireEvent.input(screen.getByLabelText('Relays (one multiaddr per line)'), {
      target: { value: `\n${RELAY}\n\n` },
    });
    fireEvent.input(screen.getByLabelText('ICE servers (one per line)'), {
      target: { value: 'turn:t.example:3478?transport=tcp alice secret' },
    });
    save();
    await screen.findByText('Saved.');
    assert.deepEqual(client.sent, [
      {
        type: 'setSettings',
        params: {
          settings: {
            displayName: 'Laptop',
            relays: [RELAY],
            iceServers: [
              { urls: 'turn:t.example:3478?transport=tcp', username: 'alice', credential: 'secret' },
            ],
          },
        },
      },
    ]);
  });

  test('a bad line is explained and nothing is sent', () => {
    const client = fakeClient();
    render(h(Settings, { settings: DEFAULT_SETTINGS, client }));
    fireEvent.input(screen.getByLabelText('ICE servers (one per line)'), {
      target: { value: 'turn:t.example' },
    });
    save();
    assert.equal(errorText(), 'A TURN server needs a username and a credential');
    fireEvent.input(screen.getByLabelText('ICE servers (one per line)'), { target: { value: '' } });
    fireEvent.input(screen.getByLabelText('Relays (one multiaddr per line)'), {
      target: { value: '/ip4/127.0.0.1/tcp/9090/p2p/12D3KooWLRPJAA5o6W9sA4uUcjgdLQ8JVYvAhJ9LhJbDJAXS1kbb' },
    });
    save();
    assert.match(errorText(), /A browser can only connect through \/ws/);
    assert.deepEqual(client.sent, []);
  });

  test("the background's refusal is shown", async () => {
    const client = fakeClient({
      setSettings: async () => {
        throw named('InvalidSettingError', 'A display name has at most 64 characters');
      },
    });
    render(h(Settings, { settings: DEFAULT_SETTINGS, client }));
    save();
    await waitFor(() => assert.equal(errorText(), 'A display name has at most 64 characters'));
  });
});
