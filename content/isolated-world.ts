// Isolated-world content script (registered only on approved origins, at
// document_start): receives the shim's requests over the private page
// channel and carries them to the background over a runtime port, and over
// the client channel once the worker offered one (Chrome, client-wire.ts). It
// opens no port until the page makes its first homeserver request.
import type { ShimMessage } from '../src/platform/web/client-wire.ts';
import { encodeWireBody } from '../src/platform/web/hs-wire.ts';
import { BackgroundLink } from './bridge/background-link.ts';
import { bridgeThroughFrame } from './bridge/client-bridge-frame.ts';
import { acceptPageChannel } from './bridge/page-handshake.ts';

acceptPageChannel((page) => {
  const link = new BackgroundLink(
    (msg, transfer = []) => page.postMessage(msg, transfer),
    bridgeThroughFrame,
  );
  page.onmessage = (event: MessageEvent<ShimMessage>) => {
    const msg = event.data;
    if (msg.type === 'abort') return link.abort(msg.id);
    // Copied into this script's own memory: Firefox refuses a content script
    // views (subarray) of an ArrayBuffer that came from the page.
    const bytes = msg.body ? new Uint8Array(new Uint8Array(msg.body)) : null;
    const body = encodeWireBody(bytes);
    const streamed = body !== null && 'streamed' in body ? (bytes ?? undefined) : undefined;
    link.send(msg.id, { method: msg.method, url: msg.url, headers: msg.headers, body }, streamed);
  };
});
