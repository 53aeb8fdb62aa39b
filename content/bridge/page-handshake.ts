// The isolated script's end of the handshake with the MAIN-world shim (see
// shim/page-channel.ts): takes the MessagePort of the first channel message
// and stops that message before any page listener sees it, then says so on
// the port. Later look-alike messages are left alone.
//
// The two scripts start in either order: Firefox runs each registered
// content script once its own compilation is done, so on a page opened
// soon after the add-on started the small shim can run, and post its
// channel, before this script listens (the channel then reached nobody and
// every request of the page hung). So this script also announces itself
// when it starts; a shim whose channel was not taken offers a new one.
import { BRIDGE_READY_TYPE, CHANNEL_TAKEN_TYPE, HANDSHAKE_TYPE } from '../../src/platform/web/client-wire.ts';

export function acceptPageChannel(onPort: (port: MessagePort) => void): void {
  const listener = (event: MessageEvent) => {
    const data = event.data as { type?: unknown } | null;
    if (event.source !== window || data?.type !== HANDSHAKE_TYPE || event.ports.length !== 1) return;
    event.stopImmediatePropagation();
    window.removeEventListener('message', listener, true);
    const port = event.ports[0]!;
    onPort(port);
    port.postMessage({ type: CHANNEL_TAKEN_TYPE });
  };
  window.addEventListener('message', listener, true);
  window.postMessage({ type: BRIDGE_READY_TYPE }, window.location.origin);
}
