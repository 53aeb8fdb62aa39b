// Gives one of the account's rooms a new local alias (#name:this-server).
import { h } from 'preact';
import { useState } from 'preact/hooks';
import type { AliasList, RoomAliases } from '../../src/platform/web/popup-messages.ts';
import { shortId, shortName } from '../format.ts';
import type { PopupClient } from '../popup-client.ts';

export interface AddAliasFormProps {
  readonly rooms: readonly RoomAliases[];
  readonly serverName: string;
  readonly client: Pick<PopupClient, 'request'>;
  /** Runs the change and shows its error; rejects when it failed. */
  readonly change: (work: Promise<AliasList>) => Promise<void>;
}

export function AddAliasForm({ rooms, serverName, client, change }: AddAliasFormProps) {
  const [roomId, setRoomId] = useState(rooms[0]?.roomId ?? '');
  const [localpart, setLocalpart] = useState('');
  const [busy, setBusy] = useState(false);
  const onSubmit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    change(client.request('addAlias', { localpart, roomId })).then(
      () => {
        setBusy(false);
        setLocalpart('');
      },
      () => setBusy(false),
    );
  };
  return h(
    'form',
    { class: 'add-alias', onSubmit, 'aria-labelledby': 'add-alias-heading' },
    h('h3', { id: 'add-alias-heading' }, 'Add an alias'),
    h('label', { for: 'alias-room' }, 'Room'),
    h(
      'select',
      {
        id: 'alias-room',
        value: roomId,
        onChange: (e: Event) => setRoomId((e.currentTarget as HTMLSelectElement).value),
      },
      rooms.map((room) =>
        h('option', { key: room.roomId, value: room.roomId }, room.name ?? shortId(room.roomId)),
      ),
    ),
    h('label', { for: 'alias-localpart' }, 'Alias'),
    h(
      'div',
      { class: 'row affix' },
      h('span', { 'aria-hidden': 'true' }, '#'),
      h('input', {
        id: 'alias-localpart',
        class: 'grow',
        value: localpart,
        'aria-describedby': 'alias-suffix aliases-error',
        onInput: (e: Event) => setLocalpart((e.currentTarget as HTMLInputElement).value),
      }),
      h('span', { id: 'alias-suffix', class: 'mono', title: `:${serverName}` }, `:${shortName(serverName)}`),
      h('button', { type: 'submit', class: 'primary', disabled: busy || roomId === '' }, 'Add alias'),
    ),
  );
}
