import { closeDom } from './support/dom.ts';
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/preact';
import { h } from 'preact';
import { App, TABS } from '../../popup/components/app.ts';
import { fakeBrowser, fakeClient, popupState, SERVER_NAME } from './support/fakes.ts';

afterEach(cleanup);
after(closeDom);

describe('the popup', () => {
  test('opens on Home: status, account and homeserver URL', () => {
    const client = fakeClient();
    client.push({ connected: true, state: popupState() });
    render(h(App, { client, browser: fakeBrowser() }));
    assert.equal(screen.getByRole('tab', { selected: true }).textContent, 'Home');
    const panel = within(screen.getByRole('tabpanel', { name: 'Home' }));
    assert.ok(panel.getByRole('heading', { name: 'Your account' }));
    assert.ok(panel.getByRole('textbox', { name: 'Homeserver URL' }));
  });

  test('the arrow keys, Home and End move between tabs, and only the selected tab is in the tab order', () => {
    render(h(App, { client: fakeClient(), browser: fakeBrowser() }));
    const tabs = screen.getAllByRole('tab');
    assert.deepEqual(
      tabs.map((t) => t.textContent),
      TABS.map((t) => t.label),
    );
    assert.deepEqual(
      tabs.map((t) => t.getAttribute('tabindex')),
      TABS.map((_, i) => (i === 0 ? '0' : '-1')),
    );
    fireEvent.keyDown(screen.getByRole('tab', { name: 'Home' }), { key: 'ArrowRight' });
    assert.equal(screen.getByRole('tab', { selected: true }).textContent, 'Peers');
    assert.equal(document.activeElement?.textContent, 'Peers');
    assert.ok(screen.getByRole('tabpanel', { name: 'Peers' }));
    fireEvent.keyDown(document.activeElement!, { key: 'End' });
    assert.equal(screen.getByRole('tab', { selected: true }).textContent, 'Settings');
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowRight' });
    assert.equal(screen.getByRole('tab', { selected: true }).textContent, 'Home');
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowLeft' });
    assert.equal(screen.getByRole('tab', { selected: true }).textContent, 'Settings');
  });

  test('peers come and go as the background pushes new states, without reopening', () => {
    const client = fakeClient();
    client.push({ connected: true, state: popupState() });
    render(h(App, { client, browser: fakeBrowser(), initialTab: 'peers' }));
    assert.ok(screen.getByText(/No peers connected yet/));
    const peer = {
      peerId: 'p',
      serverName: SERVER_NAME,
      kind: 'webrtc',
      rttMs: 2,
      since: Date.now(),
    } as const;
    act(() =>
      client.push({
        connected: true,
        state: popupState({ network: { state: 'online', peers: [peer], relays: [] } }),
      }),
    );
    assert.equal(
      within(screen.getByRole('list', { name: 'Connected peers' })).getAllByRole('listitem').length,
      1,
    );
    act(() => client.push({ connected: true, state: popupState() }));
    assert.equal(screen.queryByRole('list', { name: 'Connected peers' }), null);
  });

  test('when the background stops, the status says so and keeps the last state shown', () => {
    const client = fakeClient();
    client.push({ connected: true, state: popupState() });
    render(h(App, { client, browser: fakeBrowser() }));
    act(() => client.push({ connected: false, state: popupState() }));
    assert.equal(
      screen.getByText('Background', { selector: 'dt' }).nextElementSibling?.textContent,
      'Not running (starting it)',
    );
    assert.ok(screen.getByRole('textbox', { name: 'Homeserver URL' }));
  });
});
