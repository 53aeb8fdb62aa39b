// MAIN-world content script (registered only on approved origins, at
// document_start): gives the page's fetch and XMLHttpRequest the homeserver
// URL. Runs before any page script.
import { installFetchShim } from './shim/fetch-shim.ts';
import { openPageChannel } from './shim/page-channel.ts';
import { installXhrShim } from './shim/xhr-shim.ts';

const channel = openPageChannel();
installFetchShim(channel);
installXhrShim(channel);
