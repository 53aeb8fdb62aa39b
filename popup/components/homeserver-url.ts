// The URL to paste into a Matrix client, with a copy button and where to
// paste it.
import { h } from 'preact';
import type { HomeserverState } from '../../src/platform/web/popup-messages.ts';
import { CopyButton } from './copy-button.ts';

export interface HomeserverUrlProps {
  readonly homeserver: HomeserverState | undefined;
  readonly copy: (text: string) => Promise<void>;
}

export function HomeserverUrl({ homeserver, copy }: HomeserverUrlProps) {
  const url = homeserver?.state === 'ready' ? homeserver.url : '';
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'hs-url-heading' },
    h('h2', { id: 'hs-url-heading' }, 'Homeserver URL'),
    h(
      'div',
      { class: 'row' },
      h('input', {
        id: 'hs-url',
        class: 'grow mono',
        readOnly: true,
        value: url || 'Starting…',
        'aria-label': 'Homeserver URL',
        'aria-describedby': 'hs-url-hint',
        onFocus: (e: FocusEvent) => (e.currentTarget as HTMLInputElement).select(),
      }),
      h(CopyButton, { text: url, label: 'Copy homeserver URL', copy, disabled: !url }),
    ),
    h('p', { id: 'hs-url-hint', class: 'hint' }, 'In Element: Sign in → Edit homeserver → paste'),
  );
}
