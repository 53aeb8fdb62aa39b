// The isolated script's end of the handshake with the MAIN-world shim (see
// shim/page-channel.ts): takes the MessagePort of the first channel message,
// which the shim posts at document_start, and stops that message before any
// page listener sees it. Later look-alike messages are left alone.
import { HANDSHAKE_TYPE } from '../../src/platform/web/client-wire.ts';

export function acceptPageChannel(onPort: (port: MessagePort) => void): void {
  const listener = (event: MessageEvent) => {
    const data = event.data as { type?: unknown } | null;
    if (event.source !== window || data?.type !== HANDSHAKE_TYPE || event.ports.length !== 1) return;
    event.stopImmediatePropagation();
    window.removeEventListener('message', listener, true);
    onPort(event.ports[0]!);
  };
  window.addEventListener('message', listener, true);
}
