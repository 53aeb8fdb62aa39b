// The local aliases of the local account's rooms: add and remove them, and
// publish a room in (or take it out of) this server's directory.
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { AccountState, AliasList, RoomAliases } from '../../src/platform/web/popup-messages.ts';
import { describeError } from '../error-words.ts';
import { shortId } from '../format.ts';
import type { PopupClient } from '../popup-client.ts';
import { AddAliasForm } from './add-alias-form.ts';
import { ErrorText } from './error-text.ts';
import { Placeholder } from './placeholder.ts';

export interface AliasesProps {
  readonly client: Pick<PopupClient, 'request'>;
  /** The list is read again when the account changes (created, or gone). */
  readonly account: AccountState | undefined;
}

export function Aliases({ client, account }: AliasesProps) {
  const [list, setList] = useState<AliasList | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const accountKey = account?.state === 'exists' ? account.userId : account?.state;
  useEffect(() => {
    setLoadError(null);
    client.request('listAliases', {}).then(setList, (err: unknown) => setLoadError(describeError(err)));
  }, [client, accountKey]);
  /** A change answers with the new list. */
  const change = (work: Promise<AliasList>) => {
    setError(null);
    return work.then(setList, (err: unknown) => {
      setError(describeError(err));
      throw err;
    });
  };
  return h(
    'section',
    { 'aria-labelledby': 'aliases-heading' },
    h('h2', { id: 'aliases-heading' }, 'Your rooms and aliases'),
    loadError
      ? h(ErrorText, { id: 'aliases-load-error', message: `Could not read the aliases: ${loadError}` })
      : !list
        ? h(Placeholder, { lines: 3, label: 'Loading aliases…' })
        : list.state === 'unavailable'
          ? h('p', { class: 'notice' }, list.reason)
          : h(RoomTable, { list, client, change }),
    h(ErrorText, { id: 'aliases-error', message: error }),
  );
}

interface RoomTableProps {
  readonly list: Extract<AliasList, { state: 'ready' }>;
  readonly client: AliasesProps['client'];
  readonly change: (work: Promise<AliasList>) => Promise<void>;
}

function RoomTable({ list, client, change }: RoomTableProps) {
  if (list.rooms.length === 0) {
    return h(
      'p',
      { class: 'muted' },
      'The account has not joined any rooms yet. Create one in your Matrix client.',
    );
  }
  return h(
    'div',
    null,
    h(
      'ul',
      { class: 'list', 'aria-label': 'Rooms' },
      list.rooms.map((room) => h(RoomRow, { key: room.roomId, room, client, change })),
    ),
    h(AddAliasForm, { rooms: list.rooms, serverName: list.serverName, client, change }),
  );
}

function RoomRow({ room, client, change }: { readonly room: RoomAliases } & Omit<RoomTableProps, 'list'>) {
  const title = room.name ?? room.roomId;
  const publishId = `publish-${room.roomId}`;
  return h(
    'li',
    { class: 'list-item' },
    h(
      'div',
      { class: 'row' },
      h('strong', { class: 'grow', title: room.roomId }, room.name ?? shortId(room.roomId)),
    ),
    room.aliases.length === 0
      ? h('p', { class: 'muted' }, 'No alias yet')
      : h(
          'ul',
          { class: 'aliases', 'aria-label': `Aliases of ${title}` },
          room.aliases.map((alias) =>
            h(
              'li',
              { key: alias, class: 'row' },
              h('span', { class: 'mono grow', title: alias }, shortId(alias)),
              h(
                'button',
                {
                  type: 'button',
                  class: 'small',
                  'aria-label': `Remove alias ${alias}`,
                  onClick: () => void change(client.request('removeAlias', { alias })).catch(() => {}),
                },
                'Remove',
              ),
            ),
          ),
        ),
    h(
      'label',
      { class: 'check', for: publishId },
      h('input', {
        id: publishId,
        type: 'checkbox',
        checked: room.published,
        onChange: (e: Event) => {
          const published = (e.currentTarget as HTMLInputElement).checked;
          void change(client.request('setPublished', { roomId: room.roomId, published })).catch(() => {});
        },
      }),
      `List ${title} in the directory`,
    ),
  );
}
