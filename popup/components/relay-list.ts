// The configured relays with their connection state, a remove button each,
// and reconnect.
import { h } from 'preact';
import type { NetworkState, RelayEntry } from '../../src/platform/web/popup-messages.ts';
import { shortName } from '../format.ts';
import type { PopupClient } from '../popup-client.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './error-text.ts';

export interface RelayListProps {
  readonly relays: readonly string[];
  readonly network: NetworkState;
  readonly client: Pick<PopupClient, 'request'>;
}

const STATE_WORDS: Record<RelayEntry['state'], string> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  disconnected: 'Not connected',
};

export function RelayList({ relays, network, client }: RelayListProps) {
  const { error, run } = useAction();
  const stateOf = (addr: string) => {
    if (network.state === 'unavailable') return 'Not connected (no node)';
    const entry = network.relays.find((r) => r.addr === addr);
    return entry ? STATE_WORDS[entry.state] : 'Not connected';
  };
  return h(
    'div',
    null,
    relays.length === 0
      ? h('p', { class: 'muted' }, 'No relays configured. Add one below.')
      : h(
          'ul',
          { class: 'list', 'aria-label': 'Relays' },
          relays.map((addr) =>
            h(
              'li',
              { key: addr, class: 'list-item row' },
              h('span', { class: 'mono grow', title: addr }, shortAddr(addr)),
              h('span', { class: 'meta' }, stateOf(addr)),
              h(
                'button',
                {
                  type: 'button',
                  class: 'small',
                  'aria-label': `Remove relay ${addr}`,
                  onClick: () => run(client.request('removeRelay', { multiaddr: addr })),
                },
                'Remove',
              ),
            ),
          ),
        ),
    h(
      'button',
      {
        type: 'button',
        disabled: network.state === 'unavailable',
        title:
          network.state === 'unavailable' ? network.reason : 'Connect again to the relays and known peers',
        onClick: () => run(client.request('reconnect', {})),
      },
      'Reconnect',
    ),
    h(ErrorText, { id: 'relay-error', message: error }),
  );
}

/** `/ip4/…/ws/p2p/12D3Koo…abcdef`: the transport kept, the peer id shortened. */
function shortAddr(addr: string): string {
  const at = addr.lastIndexOf('/p2p/');
  return at < 0 ? addr : `${addr.slice(0, at)}/p2p/${shortName(addr.slice(at + 5), 6, 4)}`;
}
