// The isolated script's ChannelBridge (background-link.ts) in Chrome: the
// bridge page (CLIENT_BRIDGE_PAGE, client-wire.ts) loaded in a hidden frame of
// the page, which is handed the token and the port and posts them to the
// worker. The frame is in a closed shadow root, so that the page's scripts
// cannot read its per-session URL (use_dynamic_url: what keeps a page from
// probing for the extension), and it stays only until the channel is open:
// the link calls the tidy-up then, or when its port died first; a frame
// whose channel never opened (the page's document refused it) goes after
// FRAME_MS all the same, and the requests stay on the runtime port. The
// Firefox build swaps this file for client-bridge-frame.firefox.ts.
import {
  CLIENT_BRIDGE_PAGE,
  CLIENT_CHANNEL_TYPE,
  type ClientChannelOffer,
} from '../../src/platform/web/client-wire.ts';
import { ext } from '../../src/platform/web/ext-api.ts';
import type { ChannelBridge } from './background-link.ts';

/** How long a bridge frame waits for its channel to open before it goes. */
const FRAME_MS = 10_000;

export const bridgeThroughFrame: ChannelBridge | undefined = (token, port) => {
  const host = document.createElement('div');
  host.hidden = true;
  const frame = document.createElement('iframe');
  frame.setAttribute('aria-hidden', 'true');
  frame.tabIndex = -1;
  const offer: ClientChannelOffer = { type: CLIENT_CHANNEL_TYPE, token };
  const loaded = (evt: Event) => {
    // A page can fire a `load` of its own at the frame; only the browser's counts.
    if (!evt.isTrusted) return;
    frame.removeEventListener('load', loaded);
    // The frame's document is of the extension's own origin, whatever its URL: only it may take the token.
    frame.contentWindow?.postMessage(offer, `chrome-extension://${ext.runtime.id}`, [port]);
  };
  frame.addEventListener('load', loaded);
  frame.src = ext.runtime.getURL(CLIENT_BRIDGE_PAGE);
  host.attachShadow({ mode: 'closed' }).append(frame);
  (document.body ?? document.documentElement).append(host);
  const timer = setTimeout(() => host.remove(), FRAME_MS);
  return () => {
    clearTimeout(timer);
    host.remove();
  };
};
