// Adds a peer (connect once) or a relay (kept in the settings) by multiaddr,
// checked here first so a typo is explained at once.
import { h } from 'preact';
import { useState } from 'preact/hooks';
import { checkMultiaddr, checkRelayMultiaddr } from '../../src/platform/web/multiaddr-check.ts';
import { describeError } from '../error-words.ts';
import type { PopupClient } from '../popup-client.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './error-text.ts';

export interface AddPeerFormProps {
  readonly client: Pick<PopupClient, 'request'>;
  /** Without a node a relay can still be saved, but a peer cannot be dialled. */
  readonly nodeAvailable: boolean;
}

export function AddPeerForm({ client, nodeAvailable }: AddPeerFormProps) {
  const [addr, setAddr] = useState('');
  const [asRelay, setAsRelay] = useState(true);
  const { busy, error, setError, run } = useAction();
  const [done, setDone] = useState<string | null>(null);
  const onSubmit = (e: Event) => {
    e.preventDefault();
    setDone(null);
    let multiaddr: string;
    try {
      multiaddr = asRelay ? checkRelayMultiaddr(addr) : checkMultiaddr(addr);
    } catch (err) {
      return setError(describeError(err));
    }
    run(client.request('addPeer', { multiaddr, asRelay }), () => {
      setAddr('');
      setDone(asRelay ? 'Relay added.' : 'Connected.');
    });
  };
  return h(
    'form',
    { class: 'add-peer', onSubmit, 'aria-labelledby': 'add-peer-heading' },
    h('h2', { id: 'add-peer-heading' }, 'Add a peer or relay'),
    h('label', { for: 'add-peer-addr' }, 'Multiaddr'),
    h('input', {
      id: 'add-peer-addr',
      class: 'mono',
      placeholder: '/dns4/relay.example/tcp/443/wss/p2p/12D3Koo…',
      value: addr,
      spellcheck: false,
      'aria-invalid': error ? 'true' : 'false',
      'aria-describedby': 'add-peer-error',
      onInput: (e: Event) => setAddr((e.currentTarget as HTMLInputElement).value),
    }),
    h(
      'div',
      { class: 'row' },
      h(
        'label',
        { class: 'check grow' },
        h('input', {
          type: 'checkbox',
          checked: asRelay,
          onChange: (e: Event) => setAsRelay((e.currentTarget as HTMLInputElement).checked),
        }),
        'Keep it as a relay',
      ),
      h(
        'button',
        { type: 'submit', class: 'primary', disabled: busy || (!asRelay && !nodeAvailable) },
        asRelay ? 'Add relay' : 'Connect',
      ),
    ),
    h('p', { class: 'ok', role: 'status' }, done ?? ''),
    h(ErrorText, { id: 'add-peer-error', message: error }),
  );
}
