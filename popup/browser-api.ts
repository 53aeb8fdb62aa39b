// The browser features the popup uses directly (not the background's data):
// the clipboard, the current tab, host permissions, storage quota and
// persistence, saving a file. Components take this object, so tests give
// them a fake one.
import { matchPatternFor } from '../src/platform/web/origins.ts';

export interface StorageEstimate {
  readonly usage: number;
  readonly quota: number;
}

export interface BrowserApi {
  copyText(text: string): Promise<void>;
  /** The http(s) origin of the tab the popup was opened over, or null. */
  currentTabOrigin(): Promise<string | null>;
  /** Asks the browser (and so the user) for access to `origin`; call it straight from a click. */
  requestHostPermission(origin: string): Promise<boolean>;
  storageEstimate(): Promise<StorageEstimate>;
  storagePersisted(): Promise<boolean>;
  /** navigator.storage.persist(): whether the browser now keeps the data under storage pressure. */
  requestPersist(): Promise<boolean>;
  saveFile(fileName: string, contents: string): void;
}

export function browserApi(ext: typeof chrome, nav: Navigator, doc: Document): BrowserApi {
  return {
    copyText: (text) => nav.clipboard.writeText(text),
    async currentTabOrigin() {
      const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
      if (!tab?.url) return null;
      const origin = new URL(tab.url).origin;
      return /^https?:\/\//.test(origin) ? origin : null;
    },
    async requestHostPermission(origin) {
      const origins = [matchPatternFor(origin)];
      // Asked first, while the click still counts as the user's action. A
      // permission already held needs no answer from the prompt (which may
      // never come where no prompt can be shown, as in headless Chromium).
      const asked = ext.permissions.request({ origins });
      return (await ext.permissions.contains({ origins })) || asked;
    },
    async storageEstimate() {
      const { usage = 0, quota = 0 } = await nav.storage.estimate();
      return { usage, quota };
    },
    storagePersisted: () => nav.storage.persisted(),
    requestPersist: () => nav.storage.persist(),
    saveFile(fileName, contents) {
      const url = URL.createObjectURL(new Blob([contents], { type: 'application/json' }));
      const link = Object.assign(doc.createElement('a'), { href: url, download: fileName });
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
  };
}
