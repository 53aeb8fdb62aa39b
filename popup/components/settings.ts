// The network settings: the node's display name, the relays, the ICE
// (STUN/TURN) servers. Lists are one entry per line; everything is checked
// here and again in the background.
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  checkDisplayName,
  checkIceServer,
  type IceServer,
  type NetworkSettings,
} from '../../src/platform/web/network-settings.ts';
import { checkRelayMultiaddr } from '../../src/platform/web/multiaddr-check.ts';
import { describeError } from '../error-words.ts';
import type { PopupClient } from '../popup-client.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './error-text.ts';
import { Placeholder } from './placeholder.ts';

export interface SettingsProps {
  readonly settings: NetworkSettings | undefined;
  readonly client: Pick<PopupClient, 'request'>;
}

interface Draft {
  readonly displayName: string;
  readonly relays: string;
  readonly iceServers: string;
}

const toDraft = (s: NetworkSettings): Draft => ({
  displayName: s.displayName,
  relays: s.relays.join('\n'),
  iceServers: s.iceServers
    .map((i) => [i.urls, i.username, i.credential].filter(Boolean).join(' '))
    .join('\n'),
});

export function Settings({ settings, client }: SettingsProps) {
  const [draft, setDraft] = useState<Draft | null>(null);
  const { error, setError, run } = useAction();
  const [saved, setSaved] = useState(false);
  // The form starts from the settings in force, and follows them until the user edits it.
  const [edited, setEdited] = useState(false);
  useEffect(() => {
    if (settings && !edited) setDraft(toDraft(settings));
  }, [settings, edited]);
  if (!draft) return h(Placeholder, { lines: 10, label: 'Loading settings…' });
  const edit = (field: keyof Draft) => (e: Event) => {
    setEdited(true);
    setSaved(false);
    setDraft({ ...draft, [field]: (e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value });
  };
  const onSubmit = (e: Event) => {
    e.preventDefault();
    let next: NetworkSettings;
    try {
      next = parseDraft(draft);
    } catch (err) {
      return setError(describeError(err));
    }
    run(client.request('setSettings', { settings: next }), () => {
      setEdited(false);
      setSaved(true);
    });
  };
  return h(
    'form',
    {
      class: 'settings',
      onSubmit,
      'aria-labelledby': 'settings-heading',
      'aria-describedby': 'settings-error',
    },
    h('h2', { id: 'settings-heading' }, 'Settings'),
    h('label', { for: 'settings-name' }, 'Display name (what other peers see)'),
    h('input', { id: 'settings-name', value: draft.displayName, onInput: edit('displayName') }),
    h('label', { for: 'settings-relays' }, 'Relays (one multiaddr per line)'),
    h('textarea', {
      id: 'settings-relays',
      class: 'mono',
      rows: 3,
      spellcheck: false,
      value: draft.relays,
      onInput: edit('relays'),
    }),
    h('label', { for: 'settings-ice' }, 'ICE servers (one per line)'),
    h('textarea', {
      id: 'settings-ice',
      class: 'mono',
      rows: 3,
      spellcheck: false,
      value: draft.iceServers,
      'aria-describedby': 'settings-ice-hint',
      onInput: edit('iceServers'),
    }),
    h(
      'p',
      { id: 'settings-ice-hint', class: 'hint' },
      'stun:host:port, or turn:host:port username credential. None by default: no third party is contacted.',
    ),
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'submit', class: 'primary' }, 'Save settings'),
      h('span', { class: 'ok', role: 'status' }, saved ? 'Saved.' : ''),
    ),
    h(ErrorText, { id: 'settings-error', message: error }),
  );
}

function parseDraft(draft: Draft): NetworkSettings {
  return {
    displayName: checkDisplayName(draft.displayName),
    relays: lines(draft.relays).map((line) => checkRelayMultiaddr(line)),
    iceServers: lines(draft.iceServers).map(parseIceLine),
  };
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function parseIceLine(line: string): IceServer {
  const [urls = '', username, credential] = line.split(/\s+/);
  return checkIceServer({
    urls,
    ...(username !== undefined ? { username } : {}),
    ...(credential !== undefined ? { credential } : {}),
  });
}
