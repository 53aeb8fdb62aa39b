// What the popup's components talk to, faked for tests: a PopupClient whose
// requests go through the real message layer (so errors arrive by name, as
// from the background) to handlers the test gives, with a push channel the
// test drives; a BrowserApi that records what was asked of it; and a
// PopupState builder.
import {
  dispatchMessage,
  type HandlerMap,
  type Params,
  type RequestType,
  type Result,
  sendRequest,
} from '../../../src/platform/web/messages.ts';
import { DEFAULT_SETTINGS } from '../../../src/platform/web/network-settings.ts';
import type { PopupState } from '../../../src/platform/web/popup-messages.ts';
import type { BrowserApi } from '../../../popup/browser-api.ts';
import type { Connection, PopupClient } from '../../../popup/popup-client.ts';

export const SERVER_NAME = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a';

export function popupState(change: Partial<PopupState> = {}): PopupState {
  return {
    homeserver: { state: 'ready', serverName: SERVER_NAME, url: 'https://p2p-matrix.invalid' },
    account: { state: 'none' },
    network: { state: 'online', peers: [], relays: [] },
    origins: [],
    accountCreation: [],
    settings: DEFAULT_SETTINGS,
    lastError: null,
    ...change,
  };
}

export interface FakeClient extends PopupClient {
  /** Requests sent, in order. */
  readonly sent: { type: RequestType; params: unknown }[];
  /** Pushes a connection update, as the background's port would. */
  push(connection: Connection): void;
}

type SomeHandlers = { [K in RequestType]?: (params: Params<K>) => Promise<Result<K>> };

/** A request whose handler the test did not give fails with NotInThisTest. */
export function fakeClient(handlers: SomeHandlers = {}): FakeClient {
  const sent: FakeClient['sent'] = [];
  const listeners = new Set<(c: Connection) => void>();
  let connection: Connection = { connected: false, state: undefined };
  const extensionPage = { id: 'ext', url: 'chrome-extension://ext/popup.html' };
  return {
    sent,
    request: (type, params) => {
      sent.push({ type, params });
      return sendRequest(
        (message) => dispatchMessage(handlers as HandlerMap, message, extensionPage, () => true),
        type,
        params,
      );
    },
    subscribe(listener) {
      listeners.add(listener);
      listener(connection);
      return () => listeners.delete(listener);
    },
    push(next) {
      connection = next;
      for (const listener of listeners) listener(next);
    },
  };
}

export interface FakeBrowser extends BrowserApi {
  readonly copied: string[];
  readonly permissionsAsked: string[];
  readonly saved: { fileName: string; contents: string }[];
}

export function fakeBrowser(change: Partial<BrowserApi> = {}): FakeBrowser {
  const copied: string[] = [];
  const permissionsAsked: string[] = [];
  const saved: FakeBrowser['saved'] = [];
  return {
    copied,
    permissionsAsked,
    saved,
    copyText: async (text) => {
      copied.push(text);
    },
    currentTabOrigin: async () => null,
    requestHostPermission: async (origin) => {
      permissionsAsked.push(origin);
      return true;
    },
    storageEstimate: async () => ({ usage: 1_250_000, quota: 2_000_000_000 }),
    storagePersisted: async () => false,
    requestPersist: async () => true,
    saveFile: (fileName, contents) => {
      saved.push({ fileName, contents });
    },
    ...change,
  };
}

/** A promise the test settles later, to hold a view in its loading state. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** An error with a name, as the background's named errors arrive. */
export function named(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** The text of the elements that describe `element` (aria-describedby), as a screen reader reads it. */
export function descriptionOf(element: Element): string {
  const ids = (element.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
  return ids
    .map((id) => element.ownerDocument.getElementById(id)?.textContent ?? '')
    .filter(Boolean)
    .join(' ');
}
