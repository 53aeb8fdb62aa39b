// Who may talk to the background. Ports and messages from web pages can only
// come from our own content scripts (no externally_connectable), but the
// browser still says who sent each one, and every message is checked: a page
// on an origin that is no longer approved, a sub-frame, or an extension page
// posing as a client gets nothing.
import { ext } from '../../src/platform/web/ext-api.ts';
import type { MessageSenderInfo } from '../../src/platform/web/messages.ts';

/** The origin of a content script's top-level page, or undefined if the sender is not one. */
export function contentScriptOrigin(sender: chrome.runtime.MessageSender | undefined): string | undefined {
  if (!sender || sender.id !== ext.runtime.id || sender.tab === undefined || sender.frameId !== 0)
    return undefined;
  const origin = sender.origin ?? (sender.url ? safeOrigin(sender.url) : undefined);
  if (origin === undefined || !/^https?:\/\//.test(origin)) return undefined;
  return origin;
}

/** Whether the sender is one of the extension's own pages (popup, options), not a content script. */
export function isExtensionPage(sender: MessageSenderInfo): boolean {
  if (sender.id !== ext.runtime.id || sender.url === undefined) return false;
  return safeOrigin(sender.url) === safeOrigin(ext.runtime.getURL('/'));
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
