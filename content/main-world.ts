// MAIN-world content script (registered only on approved origins, at
// document_start): gives the page's fetch, XMLHttpRequest and media elements
// (`<img src>` and the like) the homeserver URL. Runs before any page script.
import { installFetchShim, shimFetch } from './shim/fetch-shim.ts';
import { MediaCache } from './shim/media-cache.ts';
import { installMediaElementShim } from './shim/media-elements.ts';
import { openPageChannel } from './shim/page-channel.ts';
import { installXhrShim } from './shim/xhr-shim.ts';

const channel = openPageChannel();
installFetchShim(channel);
installXhrShim(channel);
installMediaElementShim(
  new MediaCache(async (url) => {
    const res = await shimFetch(channel, new Request(url));
    if (res.ok) return res.blob();
    void res.body?.cancel();
    throw new TypeError(`media answered ${res.status}`);
  }),
);
