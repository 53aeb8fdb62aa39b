import { closeDom } from './support/dom.ts';
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { h } from 'preact';
import { Peers } from '../../popup/components/peers.ts';
import { DEFAULT_SETTINGS } from '../../src/platform/web/network-settings.ts';
import type { NetworkState } from '../../src/platform/web/popup-messages.ts';
import {
  descriptionOf,
  type FakeClient,
  fakeBrowser,
  fakeClient,
  named,
  SERVER_NAME,
} from './support/fakes.ts';

afterEach(cleanup);
after(closeDom);

const RELAY = '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWLRPJAA5o6W9sA4uUcjgdLQ8JVYvAhJ9LhJbDJAXS1kbb';
const copy = fakeBrowser().copyText;

/** The view online with no peers and no relays yet. */
function renderOnline(client: FakeClient) {
  render(
    h(Peers, {
      network: { state: 'online', peers: [], relays: [] },
      settings: DEFAULT_SETTINGS,
      client,
      copy,
    }),
  );
}

describe('the peers view', () => {
  test('loading: space is reserved for the lists', () => {
    render(h(Peers, { network: undefined, settings: undefined, client: fakeClient(), copy }));
    assert.ok(screen.getByText('Loading peers…'));
    assert.ok(screen.getByText('Loading relays…'));
  });

  test('without a node: no peers, the reason, and reconnect disabled', () => {
    const reason = 'The peer-to-peer node cannot be reached: the offscreen document did not connect';
    const network: NetworkState = { state: 'unavailable', reason, peers: [], relays: [] };
    render(h(Peers, { network, settings: DEFAULT_SETTINGS, client: fakeClient(), copy }));
    assert.ok(screen.getByText(`No peers: ${reason}`));
    assert.equal(screen.queryByRole('list', { name: 'Connected peers' }), null);
    assert.equal((screen.getByRole('button', { name: 'Reconnect' }) as HTMLButtonElement).disabled, true);
  });

  test('empty: says peers will appear', () => {
    const network: NetworkState = { state: 'online', peers: [], relays: [] };
    render(h(Peers, { network, settings: DEFAULT_SETTINGS, client: fakeClient(), copy }));
    assert.ok(screen.getByText(/No peers connected yet/));
    assert.ok(screen.getByText('No relays configured. Add one below.'));
  });

  test('populated: each peer with its short name (full on hover), connection kind, RTT and since', async () => {
    const browser = fakeBrowser();
    const network: NetworkState = {
      state: 'online',
      peers: [
        { peerId: 'a', serverName: SERVER_NAME, kind: 'webrtc', rttMs: 4.4, since: Date.UTC(2026, 0, 1, 9) },
        {
          peerId: 'b',
          serverName: 'b'.repeat(64),
          kind: 'relayed',
          rttMs: null,
          since: Date.UTC(2026, 0, 1, 10),
        },
      ],
      relays: [{ addr: RELAY, state: 'connected' }],
    };
    const settings = { ...DEFAULT_SETTINGS, relays: [RELAY] };
    render(h(Peers, { network, settings, client: fakeClient(), copy: browser.copyText }));
    const rows = within(screen.getByRole('list', { name: 'Connected peers' })).getAllByRole('listitem');
    assert.equal(rows.length, 2);
    const first = within(rows[0]!);
    assert.equal(first.getByTitle(SERVER_NAME).textContent, 'a1b2c3d4…7e8f9a');
    assert.ok(first.getByText('Direct (WebRTC)'));
    assert.ok(first.getByText('RTT 4 ms'));
    assert.ok(first.getByText(/^since /));
    assert.ok(within(rows[1]!).getByText('Through a relay'));
    assert.ok(within(rows[1]!).getByText('RTT –'));
    fireEvent.click(first.getByRole('button', { name: `Copy server name ${SERVER_NAME}` }));
    await waitFor(() => assert.deepEqual(browser.copied, [SERVER_NAME]));
    const relays = within(screen.getByRole('list', { name: 'Relays' }));
    assert.ok(relays.getByText('Connected'));
  });

  test('a peer that gave itself a name shows it beside its short server name', () => {
    const network: NetworkState = {
      state: 'online',
      peers: [
        {
          peerId: 'a',
          serverName: SERVER_NAME,
          kind: 'websocket',
          rttMs: 2,
          since: Date.UTC(2026, 0, 1, 9),
          name: 'Alice’s laptop',
        },
      ],
      relays: [],
    };
    render(h(Peers, { network, settings: DEFAULT_SETTINGS, client: fakeClient(), copy }));
    const row = within(screen.getByRole('list', { name: 'Connected peers' }).querySelector('li')!);
    assert.ok(row.getByText('Alice’s laptop'));
    assert.equal(row.getByTitle(SERVER_NAME).textContent, 'a1b2c3d4…7e8f9a');
  });

  test('a relay is added by multiaddr through the background', async () => {
    const client = fakeClient({ addPeer: async () => ({ ...DEFAULT_SETTINGS, relays: [RELAY] }) });
    renderOnline(client);
    fireEvent.input(screen.getByLabelText('Multiaddr'), { target: { value: ` ${RELAY} ` } });
    fireEvent.click(screen.getByRole('button', { name: 'Add relay' }));
    await screen.findByText('Relay added.');
    assert.deepEqual(client.sent, [{ type: 'addPeer', params: { multiaddr: RELAY, asRelay: true } }]);
  });

  test('a malformed multiaddr is explained before anything is sent', () => {
    const client = fakeClient();
    renderOnline(client);
    fireEvent.input(screen.getByLabelText('Multiaddr'), {
      target: { value: '/ip4/300.0.0.1/tcp/1/ws/p2p/x' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Add relay' }));
    const input = screen.getByLabelText('Multiaddr');
    assert.equal(descriptionOf(input), '"300.0.0.1" is not a valid /ip4 value');
    assert.equal(input.getAttribute('aria-invalid'), 'true');
    assert.deepEqual(client.sent, []);
  });

  test("the node's refusal to dial a peer is shown in words", async () => {
    const client = fakeClient({
      addPeer: async () => {
        throw named('NetworkUnavailableError', 'The peer-to-peer node is not running.');
      },
    });
    renderOnline(client);
    fireEvent.click(screen.getByLabelText('Keep it as a relay'));
    fireEvent.input(screen.getByLabelText('Multiaddr'), { target: { value: RELAY } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await screen.findByText('The peer-to-peer node is not running.');
  });

  test('a relay is removed, and reconnect asks the background', async () => {
    const client = fakeClient({ removeRelay: async () => DEFAULT_SETTINGS, reconnect: async () => ({}) });
    const network: NetworkState = {
      state: 'online',
      peers: [],
      relays: [{ addr: RELAY, state: 'disconnected' }],
    };
    render(h(Peers, { network, settings: { ...DEFAULT_SETTINGS, relays: [RELAY] }, client, copy }));
    assert.ok(screen.getByText('Not connected'));
    fireEvent.click(screen.getByRole('button', { name: `Remove relay ${RELAY}` }));
    fireEvent.click(screen.getByRole('button', { name: 'Reconnect' }));
    await waitFor(() =>
      assert.deepEqual(client.sent, [
        { type: 'removeRelay', params: { multiaddr: RELAY } },
        { type: 'reconnect', params: {} },
      ]),
    );
  });
});
