// The peers this node is connected to and the relays it keeps, live from the
// background; a form to add a peer or a relay by multiaddr; reconnect.
import { h } from 'preact';
import type { NetworkSettings } from '../../src/platform/web/network-settings.ts';
import type { ConnectionKind, NetworkState, PeerEntry } from '../../src/platform/web/popup-messages.ts';
import { formatTime, shortName } from '../format.ts';
import type { PopupClient } from '../popup-client.ts';
import { AddPeerForm } from './add-peer-form.ts';
import { CopyButton } from './copy-button.ts';
import { Placeholder } from './placeholder.ts';
import { RelayList } from './relay-list.ts';

export interface PeersProps {
  readonly network: NetworkState | undefined;
  readonly settings: NetworkSettings | undefined;
  readonly client: Pick<PopupClient, 'request'>;
  readonly copy: (text: string) => Promise<void>;
}

const KIND_WORDS: Record<ConnectionKind, string> = {
  webrtc: 'Direct (WebRTC)',
  websocket: 'Websocket',
  relayed: 'Through a relay',
};

export function Peers({ network, settings, client, copy }: PeersProps) {
  return h(
    'div',
    { class: 'stack' },
    h(
      'section',
      { 'aria-labelledby': 'peers-heading' },
      h('h2', { id: 'peers-heading' }, 'Connected peers'),
      network ? h(PeerList, { network, copy }) : h(Placeholder, { lines: 3, label: 'Loading peers…' }),
    ),
    h(
      'section',
      { 'aria-labelledby': 'relays-heading' },
      h('h2', { id: 'relays-heading' }, 'Relays'),
      network && settings
        ? h(RelayList, { relays: settings.relays, network, client })
        : h(Placeholder, { lines: 2, label: 'Loading relays…' }),
    ),
    h(AddPeerForm, { client, nodeAvailable: network?.state !== 'unavailable' }),
  );
}

function PeerList({ network, copy }: { readonly network: NetworkState; readonly copy: PeersProps['copy'] }) {
  if (network.state === 'unavailable') {
    return h('p', { class: 'notice' }, `No peers: ${network.reason}`);
  }
  if (network.peers.length === 0) {
    return h('p', { class: 'muted' }, 'No peers connected yet. They appear here as soon as they connect.');
  }
  return h(
    'ul',
    { class: 'list', 'aria-label': 'Connected peers' },
    network.peers.map((peer) => h(PeerRow, { key: peer.peerId, peer, copy })),
  );
}

function PeerRow({ peer, copy }: { readonly peer: PeerEntry; readonly copy: PeersProps['copy'] }) {
  return h(
    'li',
    { class: 'list-item' },
    h(
      'div',
      { class: 'row' },
      peer.name !== undefined
        ? h(
            'span',
            { class: 'grow' },
            h('span', { class: 'peer-name' }, peer.name),
            ' ',
            h('span', { class: 'mono muted', title: peer.serverName }, shortName(peer.serverName)),
          )
        : h('span', { class: 'mono grow', title: peer.serverName }, shortName(peer.serverName)),
      h(CopyButton, { text: peer.serverName, label: `Copy server name ${peer.serverName}`, copy }),
    ),
    h(
      'div',
      { class: 'meta' },
      h('span', null, KIND_WORDS[peer.kind]),
      h('span', null, peer.rttMs === null ? 'RTT –' : `RTT ${Math.round(peer.rttMs)} ms`),
      h('span', null, `since ${formatTime(peer.since)}`),
    ),
  );
}
