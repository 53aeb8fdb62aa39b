// The homeserver's own settings, which the owner alone sets: how long an
// access token issued with a refresh token lives, and the support contact
// clients find at /.well-known/matrix/support (none: the spec's 404). The
// homeserver checks every field again (M_INVALID_PARAM names the problem).
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  type ServerSettingsChange,
  type ServerSettingsView,
  TOKEN_LIFETIME_MINUTES,
} from '../../src/platform/web/popup-messages.ts';
import { describeError } from '../error-words.ts';
import type { PopupClient } from '../popup-client.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './error-text.ts';
import { Placeholder } from './placeholder.ts';

export interface ServerSettingsProps {
  readonly client: Pick<PopupClient, 'request'>;
}

interface Draft {
  readonly lifetimeMinutes: string;
  readonly matrixId: string;
  readonly email: string;
  readonly page: string;
}

const toDraft = (s: ServerSettingsView): Draft => {
  const contact = s.support?.contacts?.[0];
  return {
    lifetimeMinutes: String(s.accessTokenLifetimeMs / 60_000),
    matrixId: contact?.matrix_id ?? '',
    email: contact?.email_address ?? '',
    page: s.support?.support_page ?? '',
  };
};

/** The change the form stands for; a lifetime that is not a whole number of minutes is refused here. */
export function draftChange(draft: Draft): ServerSettingsChange {
  const minutes = Number(draft.lifetimeMinutes.trim());
  const { min, max } = TOKEN_LIFETIME_MINUTES;
  if (!Number.isInteger(minutes) || minutes < min || minutes > max)
    throw new Error(`The token lifetime is a whole number of minutes from ${min} to ${max}`);
  const matrixId = draft.matrixId.trim();
  const email = draft.email.trim();
  const page = draft.page.trim();
  const contact = {
    role: 'm.role.admin' as const,
    ...(matrixId ? { matrix_id: matrixId } : {}),
    ...(email ? { email_address: email } : {}),
  };
  const support =
    matrixId || email || page
      ? { ...(matrixId || email ? { contacts: [contact] } : {}), ...(page ? { support_page: page } : {}) }
      : null;
  return { accessTokenLifetimeMs: minutes * 60_000, support };
}

export function ServerSettings({ client }: ServerSettingsProps) {
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saved, setSaved] = useState(false);
  const { error, setError, run } = useAction();
  useEffect(() => {
    client.request('getServerSettings', {}).then(
      (s) => setDraft(toDraft(s)),
      (err: unknown) => setError(describeError(err)),
    );
  }, [client]);
  if (!draft)
    return error
      ? h(ErrorText, { id: 'server-settings-error', message: error })
      : h(Placeholder, { lines: 4, label: 'Loading homeserver settings…' });
  const edit = (field: keyof Draft) => (e: Event) => {
    setSaved(false);
    setDraft({ ...draft, [field]: (e.currentTarget as HTMLInputElement).value });
  };
  const onSubmit = (e: Event) => {
    e.preventDefault();
    let change: ServerSettingsChange;
    try {
      change = draftChange(draft);
    } catch (err) {
      return setError(describeError(err));
    }
    run(client.request('setServerSettings', { change }), (s) => {
      setDraft(toDraft(s));
      setSaved(true);
    });
  };
  const field = (id: keyof Draft, label: string, extra: Record<string, unknown> = {}) => [
    h('label', { for: `server-${id}` }, label),
    h('input', { id: `server-${id}`, value: draft[id], onInput: edit(id), ...extra }),
  ];
  return h(
    'form',
    {
      class: 'settings',
      onSubmit,
      'aria-labelledby': 'server-settings-heading',
      'aria-describedby': 'server-settings-error',
    },
    h('h2', { id: 'server-settings-heading' }, 'Homeserver'),
    ...field('lifetimeMinutes', 'Access token lifetime with refresh tokens (minutes)', {
      inputMode: 'numeric',
    }),
    h(
      'p',
      { class: 'hint' },
      'Clients that ask for refresh tokens get a new access token this often. Others keep theirs.',
    ),
    ...field('matrixId', 'Support contact: Matrix ID', { placeholder: '@you:server', spellcheck: false }),
    ...field('email', 'Support contact: email', { type: 'email' }),
    ...field('page', 'Support page', { type: 'url', placeholder: 'https://…' }),
    h(
      'p',
      { class: 'hint' },
      'Published at /.well-known/matrix/support for clients to show. Leave all three empty to publish none.',
    ),
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'submit', class: 'primary' }, 'Save homeserver settings'),
      h('span', { class: 'ok', role: 'status' }, saved ? 'Saved.' : ''),
    ),
    h(ErrorText, { id: 'server-settings-error', message: error }),
  );
}
