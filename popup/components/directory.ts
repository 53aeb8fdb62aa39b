// Searches the room directory: the whole network's once federation provides
// it, this server's until then (and it says which). Each room shows the
// server whose directory listed it.
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { DirectoryResult, DirectoryRoom } from '../../src/platform/web/popup-messages.ts';
import { shortId, shortName } from '../format.ts';
import type { PopupClient } from '../popup-client.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './error-text.ts';
import { Placeholder } from './placeholder.ts';

export interface DirectoryProps {
  readonly client: Pick<PopupClient, 'request'>;
}

export function Directory({ client }: DirectoryProps) {
  const [term, setTerm] = useState('');
  const [result, setResult] = useState<DirectoryResult | null>(null);
  const { busy, error, run } = useAction(true);
  const search = (wanted: string) => run(client.request('searchDirectory', { term: wanted }), setResult);
  useEffect(() => search(''), [client]);
  const onSubmit = (e: Event) => {
    e.preventDefault();
    search(term);
  };
  return h(
    'section',
    { 'aria-labelledby': 'directory-heading' },
    h('h2', { id: 'directory-heading' }, 'Room directory'),
    h(
      'form',
      { class: 'row', role: 'search', onSubmit },
      h('label', { for: 'directory-term', class: 'visually-hidden' }, 'Search the room directory'),
      h('input', {
        id: 'directory-term',
        class: 'grow',
        type: 'search',
        placeholder: 'Search rooms',
        value: term,
        onInput: (e: Event) => setTerm((e.currentTarget as HTMLInputElement).value),
      }),
      h('button', { type: 'submit', disabled: busy }, 'Search'),
    ),
    error
      ? h(ErrorText, { id: 'directory-error', message: `The search failed: ${error}` })
      : !result
        ? h(Placeholder, { lines: 3, label: 'Searching…' })
        : h(Results, { result }),
  );
}

function Results({ result }: { readonly result: DirectoryResult }) {
  return h(
    'div',
    { 'aria-busy': 'false' },
    result.state === 'network' ? null : h('p', { class: 'notice' }, result.reason),
    result.rooms.length === 0
      ? h('p', { class: 'muted' }, 'No rooms found.')
      : h(
          'ul',
          { class: 'list', 'aria-label': 'Rooms found' },
          result.rooms.map((room) => h(RoomResult, { key: room.roomId, room })),
        ),
  );
}

function RoomResult({ room }: { readonly room: DirectoryRoom }) {
  return h(
    'li',
    { class: 'list-item' },
    h(
      'strong',
      { title: room.roomId },
      room.name ?? (room.alias ? shortId(room.alias) : shortId(room.roomId)),
    ),
    room.alias ? h('div', { class: 'mono', title: room.alias }, shortId(room.alias)) : null,
    room.topic ? h('div', { class: 'topic' }, room.topic) : null,
    h(
      'div',
      { class: 'meta' },
      h('span', null, `${room.members} ${room.members === 1 ? 'member' : 'members'}`),
      h(
        'span',
        { title: room.foundOn.join('\n') },
        `found on ${room.foundOn.map((s) => shortName(s)).join(', ')}`,
      ),
    ),
  );
}
