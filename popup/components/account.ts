// The local account: on first run a form to create it (through the
// homeserver's own /register, in the background); afterwards its full user
// ID, to sign in with in any client.
import { h } from 'preact';
import { useState } from 'preact/hooks';
import {
  type AccountState,
  type HomeserverState,
  MIN_PASSWORD_LENGTH,
} from '../../src/platform/web/popup-messages.ts';
import type { PopupClient } from '../popup-client.ts';
import { useAction } from '../use-action.ts';
import { CopyButton } from './copy-button.ts';
import { ErrorText } from './error-text.ts';

export interface AccountProps {
  readonly homeserver: HomeserverState | undefined;
  readonly account: AccountState | undefined;
  readonly client: Pick<PopupClient, 'request'>;
  readonly copy: (text: string) => Promise<void>;
}

export function Account({ homeserver, account, client, copy }: AccountProps) {
  const body =
    homeserver?.state !== 'ready' || !account
      ? h(
          'p',
          { class: 'muted account-body' },
          homeserver?.state === 'failed' ? 'The homeserver did not start.' : 'Starting the homeserver…',
        )
      : account.state === 'exists'
        ? h(AccountExists, { userId: account.userId, copy })
        : h(CreateAccount, { client });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'account-heading' },
    h('h2', { id: 'account-heading' }, 'Your account'),
    body,
  );
}

function AccountExists({ userId, copy }: { readonly userId: string; readonly copy: AccountProps['copy'] }) {
  return h(
    'div',
    { class: 'account-body' },
    h(
      'div',
      { class: 'row' },
      h('input', {
        class: 'grow mono',
        readOnly: true,
        value: userId,
        'aria-label': 'Your user ID',
        'aria-describedby': 'account-hint',
      }),
      h(CopyButton, { text: userId, label: 'Copy user ID', copy }),
    ),
    h('p', { id: 'account-hint', class: 'hint' }, 'The account exists. To use it in a Matrix client:'),
    h(
      'ol',
      { class: 'steps' },
      h('li', null, "Approve the client's site under Sites."),
      h('li', null, 'Paste the homeserver URL below into the client.'),
      h('li', null, 'Sign in with this user ID and your password.'),
    ),
  );
}

function CreateAccount({ client }: { readonly client: AccountProps['client'] }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, setError, run } = useAction();
  const onSubmit = (e: Event) => {
    e.preventDefault();
    if (username.trim() === '') return setError('Choose a username.');
    if (password.length < MIN_PASSWORD_LENGTH) {
      return setError(`Use a password of at least ${MIN_PASSWORD_LENGTH} characters.`);
    }
    // On success the background pushes the new account state, which replaces this form.
    run(client.request('createAccount', { username, password }));
  };
  return h(
    'form',
    { class: 'account-body account-form', onSubmit, 'aria-describedby': 'account-error' },
    h('label', { for: 'account-username' }, 'Username'),
    h('input', {
      id: 'account-username',
      autocomplete: 'username',
      value: username,
      onInput: (e: Event) => setUsername((e.currentTarget as HTMLInputElement).value),
    }),
    h('label', { for: 'account-password' }, 'Password'),
    h('input', {
      id: 'account-password',
      type: 'password',
      autocomplete: 'new-password',
      value: password,
      onInput: (e: Event) => setPassword((e.currentTarget as HTMLInputElement).value),
    }),
    h('button', { type: 'submit', class: 'primary', disabled: busy }, busy ? 'Creating…' : 'Create account'),
    h(ErrorText, { id: 'account-error', message: error }),
  );
}
