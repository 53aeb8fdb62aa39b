// The Storage tab's media figures: the local users' uploads, other peers'
// files cached here, thumbnails; and clearing that cache (the files are
// fetched again from their peers when someone opens them).
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { MediaFigure, MediaUsageView } from '../../src/platform/web/popup-messages.ts';
import { formatBytes } from '../format.ts';
import type { PopupClient } from '../popup-client.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './error-text.ts';

export interface MediaUsageProps {
  readonly client: Pick<PopupClient, 'request'>;
}

const figure = (f: MediaFigure) => `${f.files} ${f.files === 1 ? 'file' : 'files'}, ${formatBytes(f.bytes)}`;

export function MediaUsage({ client }: MediaUsageProps) {
  const [usage, setUsage] = useState<MediaUsageView | null>(null);
  const [cleared, setCleared] = useState<string | null>(null);
  const { error, run } = useAction();
  useEffect(() => {
    run(client.request('mediaUsage', {}), setUsage);
  }, [client]);
  const clear = () => {
    const before = usage?.remote;
    run(client.request('clearRemoteMedia', {}), (after) => {
      setUsage(after);
      setCleared(before ? `Cleared ${figure(before)}.` : 'Cleared.');
    });
  };
  return h(
    'section',
    { 'aria-labelledby': 'media-heading' },
    h('h2', { id: 'media-heading' }, 'Media'),
    h(
      'dl',
      { class: 'pairs' },
      h('dt', null, 'Your uploads'),
      h('dd', null, usage ? figure(usage.local) : 'Measuring…'),
      h('dt', null, "Other peers' media (cache)"),
      h('dd', null, usage ? figure(usage.remote) : 'Measuring…'),
      h('dt', null, 'Thumbnails'),
      h('dd', null, usage ? figure(usage.thumbnails) : 'Measuring…'),
    ),
    h(
      'button',
      { type: 'button', disabled: !usage || usage.remote.files === 0, onClick: clear },
      "Clear other peers' media",
    ),
    h('p', { class: 'ok', role: 'status' }, cleared ?? ''),
    h(ErrorText, { id: 'media-error', message: error }),
  );
}
