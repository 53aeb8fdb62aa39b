// The popup: a status line and the sections as tabs. Home (status, account,
// homeserver URL) fits the popup without scrolling; longer sections scroll
// inside their panel, never the popup itself.
import { type ComponentChildren, h } from 'preact';
import { useState } from 'preact/hooks';
import type { BrowserApi } from '../browser-api.ts';
import type { PopupClient } from '../popup-client.ts';
import { useConnection } from '../use-connection.ts';
import { Account } from './account.ts';
import { Aliases } from './aliases.ts';
import { Directory } from './directory.ts';
import { HomeserverUrl } from './homeserver-url.ts';
import { Peers } from './peers.ts';
import { Reports } from './reports.ts';
import { ServerSettings } from './server-settings.ts';
import { Settings } from './settings.ts';
import { Sites } from './sites.ts';
import { Status } from './status.ts';
import { Storage } from './storage.ts';
import { type TabSpec, Tabs } from './tabs.ts';

export interface AppProps {
  readonly client: PopupClient;
  readonly browser: BrowserApi;
  readonly initialTab?: string;
}

export const TABS: readonly TabSpec[] = [
  { id: 'home', label: 'Home' },
  { id: 'peers', label: 'Peers' },
  { id: 'rooms', label: 'Rooms' },
  { id: 'sites', label: 'Sites' },
  { id: 'storage', label: 'Storage' },
  { id: 'reports', label: 'Reports' },
  { id: 'settings', label: 'Settings' },
];

export function App({ client, browser, initialTab = 'home' }: AppProps) {
  const { connected, state } = useConnection(client);
  const [tab, setTab] = useState(initialTab);
  const copy = (text: string) => browser.copyText(text);
  const panels: Record<string, () => ComponentChildren> = {
    home: () =>
      h(
        'div',
        { class: 'stack' },
        h(Status, { connected, state }),
        h(Account, { homeserver: state?.homeserver, account: state?.account, client, copy }),
        h(HomeserverUrl, { homeserver: state?.homeserver, copy }),
      ),
    peers: () => h(Peers, { network: state?.network, settings: state?.settings, client, copy }),
    rooms: () =>
      h('div', { class: 'stack' }, h(Aliases, { client, account: state?.account }), h(Directory, { client })),
    sites: () =>
      h(Sites, { origins: state?.origins, accountCreation: state?.accountCreation, client, browser }),
    storage: () => h(Storage, { client, browser }),
    reports: () => h(Reports, { client }),
    settings: () =>
      h(
        'div',
        { class: 'stack' },
        h(Settings, { settings: state?.settings, client }),
        h(ServerSettings, { client }),
      ),
  };
  return h(
    'main',
    { class: 'app' },
    h('h1', { class: 'visually-hidden' }, 'p2p-matrix'),
    h(Tabs, { tabs: TABS, selected: tab, onSelect: setTab }, (panels[tab] ?? panels.home!)()),
  );
}
