// The isolated script's ChannelBridge (background-link.ts) in Chrome: the
// bridge page (CLIENT_BRIDGE_PAGE, client-wire.ts) loaded in a hidden frame of
// the page, which is handed the token and the port and posts them to the
// worker. The frame stays only until the channel is open: the link calls the
// tidy-up then, or when its port died first; a frame whose channel never
// opened (the page's document refused it) goes after FRAME_MS all the same,
// and the requests stay on the runtime port.
import {
  CLIENT_BRIDGE_PAGE,
  CLIENT_CHANNEL_TYPE,
  type ClientChannelOffer,
} from '../../src/platform/web/client-wire.ts';
import { ext } from '../../src/platform/web/ext-api.ts';
import type { ChannelBridge } from './background-link.ts';

/** How long a bridge frame waits for its channel to open before it goes. */
const FRAME_MS = 10_000;

export const bridgeThroughFrame: ChannelBridge = (token, port) => {
  // A per-session URL (use_dynamic_url in the manifest): a page cannot probe for the extension with it.
  const url = ext.runtime.getURL(CLIENT_BRIDGE_PAGE);
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.style.display = 'none';
  frame.setAttribute('aria-hidden', 'true');
  frame.tabIndex = -1;
  const offer: ClientChannelOffer = { type: CLIENT_CHANNEL_TYPE, token };
  // The frame's document is of the extension's own origin, whatever its URL: only it may take the token.
  frame.addEventListener(
    'load',
    () => frame.contentWindow?.postMessage(offer, `chrome-extension://${ext.runtime.id}`, [port]),
    { once: true },
  );
  frame.src = url;
  (document.body ?? document.documentElement).appendChild(frame);
  const timer = setTimeout(() => frame.remove(), FRAME_MS);
  return () => {
    clearTimeout(timer);
    frame.remove();
  };
};
