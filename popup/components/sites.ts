// The sites allowed to use the homeserver: approve the current tab's site or
// a typed origin, revoke any. The browser's permission for the site is asked
// for first, straight from the click (browsers only ask during a user action).
// Each approved site may also be allowed to create accounts (off when it is
// approved: accounts are made here, in the popup, unless the user says so).
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { normalizeOrigin } from '../../src/platform/web/origins.ts';
import type { BrowserApi } from '../browser-api.ts';
import { describeError } from '../error-words.ts';
import type { PopupClient } from '../popup-client.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './error-text.ts';
import { Placeholder } from './placeholder.ts';

export interface SitesProps {
  readonly origins: readonly string[] | undefined;
  /** The approved sites allowed to create accounts. */
  readonly accountCreation?: readonly string[] | undefined;
  readonly client: Pick<PopupClient, 'request'>;
  readonly browser: Pick<BrowserApi, 'currentTabOrigin' | 'requestHostPermission'>;
}

export function Sites({ origins, accountCreation, client, browser }: SitesProps) {
  const [typed, setTyped] = useState('');
  const [current, setCurrent] = useState<string | null>(null);
  const { error, setError, run } = useAction();
  // The boxes show the user's click at once (a re-render with the old list
  // would undo it); the background's list replaces it when it comes.
  const [creating, setCreating] = useState(accountCreation);
  useEffect(() => setCreating(accountCreation), [accountCreation]);
  const allowCreation = (origin: string, allowed: boolean) => {
    const others = (creating ?? []).filter((o) => o !== origin);
    setCreating(allowed ? [...others, origin] : others);
    const asked = client.request('setAccountCreation', { origin, allowed });
    run(
      asked.catch((err: unknown) => {
        setCreating(accountCreation);
        throw err;
      }),
    );
  };
  useEffect(() => {
    browser.currentTabOrigin().then(setCurrent, () => setCurrent(null));
  }, [browser]);
  const approve = (input: string, clear: boolean) => {
    let origin: string;
    try {
      origin = normalizeOrigin(input.trim());
    } catch (err) {
      return setError(describeError(err));
    }
    // First call in the click handler: the browser shows its prompt only during the user's action.
    const approved = browser.requestHostPermission(origin).then((granted) => {
      if (!granted) throw new Error(`The browser did not give access to ${origin}, so it was not approved.`);
      return client.request('approveOrigin', { origin });
    });
    run(approved, () => clear && setTyped(''));
  };
  const currentApprovable = current !== null && origins !== undefined && !origins.includes(current);
  return h(
    'section',
    { 'aria-labelledby': 'sites-heading' },
    h('h2', { id: 'sites-heading' }, 'Sites allowed to use your homeserver'),
    h(
      'p',
      { class: 'hint' },
      'Only these sites can reach the homeserver URL, and they still need to sign in. Only the sites you tick can create accounts; the Home tab always can.',
    ),
    !origins
      ? h(Placeholder, { lines: 2, label: 'Loading sites…' })
      : origins.length === 0
        ? h('p', { class: 'muted' }, 'No sites approved yet.')
        : h(
            'ul',
            { class: 'list', 'aria-label': 'Approved sites' },
            origins.map((origin) =>
              h(
                'li',
                { key: origin, class: 'list-item' },
                h(
                  'div',
                  { class: 'row' },
                  h('span', { class: 'mono grow', title: origin }, origin),
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'small',
                      'aria-label': `Revoke ${origin}`,
                      onClick: () => run(client.request('revokeOrigin', { origin })),
                    },
                    'Revoke',
                  ),
                ),
                h(
                  'label',
                  { class: 'check hint' },
                  h('input', {
                    type: 'checkbox',
                    checked: creating?.includes(origin) ?? false,
                    'aria-label': `Let ${origin} create accounts`,
                    onChange: (e: Event) =>
                      allowCreation(origin, (e.currentTarget as HTMLInputElement).checked),
                  }),
                  'Can create accounts',
                ),
              ),
            ),
          ),
    h(
      'div',
      { class: 'row current-site' },
      h(
        'span',
        { class: 'grow mono', title: current ?? '' },
        current ? `This tab: ${current}` : 'This tab is not a website.',
      ),
      h(
        'button',
        { type: 'button', disabled: !currentApprovable, onClick: () => current && approve(current, false) },
        current && origins?.includes(current) ? 'Approved' : 'Approve this site',
      ),
    ),
    h(
      'form',
      {
        class: 'row',
        onSubmit: (e: Event) => {
          e.preventDefault();
          approve(typed, true);
        },
      },
      h('label', { for: 'site-origin', class: 'visually-hidden' }, 'Site origin'),
      h('input', {
        id: 'site-origin',
        class: 'grow mono',
        placeholder: 'https://app.element.io',
        value: typed,
        'aria-describedby': 'sites-error',
        onInput: (e: Event) => setTyped((e.currentTarget as HTMLInputElement).value),
      }),
      h('button', { type: 'submit', class: 'primary' }, 'Approve'),
    ),
    h(ErrorText, { id: 'sites-error', message: error }),
  );
}
