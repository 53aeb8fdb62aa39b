// Chrome: client channels (client-wire.ts) reach the worker as service worker
// messages posted by the bridge page, each with its MessagePort. The listener
// is registered now, at the worker's top level, so that a message that woke
// the worker is not missed. The Firefox build swaps this file for
// client-channels.firefox.ts: an event page is not a service worker.
import { CLIENT_BRIDGE_PAGE } from '../../src/platform/web/client-wire.ts';
import type { ClientChannelOffers } from './client-ports.ts';

export function clientChannelOffers(): ClientChannelOffers {
  const bridge = new URL(`/${CLIENT_BRIDGE_PAGE}`, globalThis.location.origin).href;
  return {
    listen: (accept) =>
      globalThis.addEventListener('message', (evt: MessageEvent) => {
        // The offscreen document's offers share this event (offscreen-link.ts): only the bridge page's are ours.
        const from = (evt.source as { url?: string } | null)?.url;
        if (from !== bridge) return;
        const [port, ...more] = evt.ports;
        for (const extra of more) extra.close();
        if (port) accept(evt.data, port);
      }),
  };
}
