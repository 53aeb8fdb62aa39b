// Status at a glance: is the background running, is the homeserver up, is
// the node online, how many peers, how the relays are doing, and the last
// error in words.
import { h } from 'preact';
import type { NetworkState, PopupState } from '../../src/platform/web/popup-messages.ts';
import { formatTime } from '../format.ts';

export interface StatusProps {
  readonly connected: boolean;
  readonly state: PopupState | undefined;
}

export function Status({ connected, state }: StatusProps) {
  return h(
    'section',
    { class: 'status', 'aria-labelledby': 'status-heading' },
    h('h2', { id: 'status-heading', class: 'visually-hidden' }, 'Status'),
    h(
      'dl',
      { class: 'status-grid' },
      item('Background', connected ? 'Running' : 'Not running (starting it)', connected ? 'ok' : 'bad'),
      item(...homeserverWords(state)),
      item(
        'Connected peers',
        state?.network.state === 'unavailable' || !state ? '–' : String(state.network.peers.length),
      ),
      item('Relays', relayWords(state)),
      item(...networkWords(state?.network), 'wide'),
      item(
        'Last error',
        state?.lastError ? `${state.lastError.message} (${formatTime(state.lastError.at)})` : 'None',
        state?.lastError ? 'bad' : undefined,
        'wide',
      ),
    ),
  );
}

function item(term: string, value: string, tone?: 'ok' | 'bad' | 'wait', span?: 'wide') {
  return h(
    'div',
    { class: `status-item ${span ?? ''}` },
    h('dt', null, term),
    h('dd', { class: tone ?? '', title: value }, value),
  );
}

function homeserverWords(state: PopupState | undefined): [string, string, 'ok' | 'bad' | 'wait'] {
  const hs = state?.homeserver;
  if (!hs || hs.state === 'starting') return ['Homeserver', 'Starting…', 'wait'];
  if (hs.state === 'failed') return ['Homeserver', `Failed: ${hs.error}`, 'bad'];
  return ['Homeserver', 'Ready', 'ok'];
}

function networkWords(network: NetworkState | undefined): [string, string, 'ok' | 'bad' | 'wait'] {
  if (!network) return ['Network', 'Waiting…', 'wait'];
  if (network.state === 'unavailable') return ['Network', `Not available: ${network.reason}`, 'bad'];
  return network.state === 'online' ? ['Network', 'Online', 'ok'] : ['Network', 'Offline', 'bad'];
}

function relayWords(state: PopupState | undefined): string {
  if (!state) return '–';
  const configured = state.settings.relays.length;
  if (configured === 0) return 'None configured';
  if (state.network.state === 'unavailable') return `${configured} saved, not connected`;
  const connected = state.network.relays.filter((r) => r.state === 'connected').length;
  return `${connected} of ${configured} connected`;
}
