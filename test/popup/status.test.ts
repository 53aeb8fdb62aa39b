import { closeDom } from './support/dom.ts';
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { cleanup, render, screen } from '@testing-library/preact';
import { h } from 'preact';
import { Status } from '../../popup/components/status.ts';
import { popupState, SERVER_NAME } from './support/fakes.ts';

afterEach(cleanup);
after(closeDom);

/** The value shown for a term of the status list. */
function shownFor(term: string): string {
  const dt = screen.getByText(term, { selector: 'dt' });
  return dt.nextElementSibling?.textContent ?? '';
}

describe('the status view', () => {
  test('while nothing has arrived from the background, says it is starting it', () => {
    render(h(Status, { connected: false, state: undefined }));
    assert.equal(shownFor('Background'), 'Not running (starting it)');
    assert.equal(shownFor('Homeserver'), 'Starting…');
    assert.equal(shownFor('Connected peers'), '–');
  });

  test('without a libp2p node, says the network is not available and why, and shows no peers', () => {
    const reason = 'The peer-to-peer node cannot be reached: the offscreen document did not connect';
    render(
      h(Status, {
        connected: true,
        state: popupState({
          network: { state: 'unavailable', reason, peers: [], relays: [] },
          settings: { relays: ['/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWQ'], iceServers: [], displayName: '' },
        }),
      }),
    );
    assert.equal(shownFor('Background'), 'Running');
    assert.equal(shownFor('Network'), `Not available: ${reason}`);
    assert.equal(shownFor('Connected peers'), '–');
    assert.equal(shownFor('Relays'), '1 saved, not connected');
  });

  test('online with peers and relays: the counts', () => {
    const relay = (n: number) => `/ip4/127.0.0.1/tcp/${n}/ws/p2p/12D3KooWRelay${n}`;
    render(
      h(Status, {
        connected: true,
        state: popupState({
          network: {
            state: 'online',
            peers: [{ peerId: 'p', serverName: SERVER_NAME, kind: 'webrtc', rttMs: 3, since: 0 }],
            relays: [
              { addr: relay(1), state: 'connected' },
              { addr: relay(2), state: 'connecting' },
            ],
          },
          settings: { relays: [relay(1), relay(2)], iceServers: [], displayName: '' },
        }),
      }),
    );
    assert.equal(shownFor('Network'), 'Online');
    assert.equal(shownFor('Connected peers'), '1');
    assert.equal(shownFor('Relays'), '1 of 2 connected');
    assert.equal(shownFor('Last error'), 'None');
  });

  test('shows the last error in words and a failed homeserver', () => {
    render(
      h(Status, {
        connected: true,
        state: popupState({
          homeserver: { state: 'failed', error: 'the database is newer than this version' },
          lastError: { message: 'The relay refused the reservation', at: Date.UTC(2026, 0, 1, 12, 30) },
        }),
      }),
    );
    assert.equal(shownFor('Homeserver'), 'Failed: the database is newer than this version');
    assert.match(shownFor('Last error'), /^The relay refused the reservation \(.+\)$/);
  });
});
