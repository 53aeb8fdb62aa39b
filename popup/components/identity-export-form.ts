// Saves the server's identity key to a file, only after the user has read
// and ticked the warning: whoever has the file can act as this server.
import { h } from 'preact';
import { useState } from 'preact/hooks';
import type { PopupClient } from '../popup-client.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './error-text.ts';

export interface IdentityExportFormProps {
  readonly client: Pick<PopupClient, 'request'>;
  readonly saveFile: (fileName: string, contents: string) => void;
}

export function IdentityExportForm({ client, saveFile }: IdentityExportFormProps) {
  const [understood, setUnderstood] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const { error, run } = useAction();
  const onSubmit = (e: Event) => {
    e.preventDefault();
    run(client.request('exportIdentityKey', {}), (file) => {
      saveFile(file.fileName, file.contents);
      setSaved(`Saved as ${file.fileName}. Keep it somewhere only you can reach.`);
    });
  };
  return h(
    'form',
    { onSubmit, 'aria-labelledby': 'identity-heading' },
    h('h2', { id: 'identity-heading' }, 'Back up the identity key'),
    h(
      'p',
      { id: 'identity-warning', class: 'warning' },
      'Warning: this file is the private key of your server. Anyone who has it can act as your server ',
      'and receive what other servers send it. Never share it; keep it offline or in a password manager.',
    ),
    h(
      'label',
      { class: 'check' },
      h('input', {
        type: 'checkbox',
        checked: understood,
        'aria-describedby': 'identity-warning',
        onChange: (e: Event) => setUnderstood((e.currentTarget as HTMLInputElement).checked),
      }),
      'I understand the risk',
    ),
    h('button', { type: 'submit', disabled: !understood }, 'Export identity key'),
    h('p', { class: 'ok', role: 'status' }, saved ?? ''),
    h(ErrorText, { id: 'identity-error', message: error }),
  );
}
