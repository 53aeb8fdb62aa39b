// The bridge page (Chrome): loaded for a moment in a hidden frame of an
// approved page by the isolated content script (client-bridge-frame.ts), it
// takes one client channel offer from the frame's parent, a token and a
// MessagePort, and posts both to the extension's service worker, which a
// content script cannot reach (client-wire.ts). It vouches for nothing: the
// worker pairs the port by the token alone, with the runtime port the token
// was offered on, whose origin the browser names. Anything else, from any
// other window, is ignored.
import { isClientChannelOffer } from '../../src/platform/web/client-wire.ts';

const taken = (evt: MessageEvent<unknown>) => {
  if (evt.source !== window.parent) return;
  const [port, ...more] = evt.ports;
  for (const extra of more) extra.close();
  if (!port || !isClientChannelOffer(evt.data)) return port?.close();
  window.removeEventListener('message', taken);
  const offer = { type: evt.data.type, token: evt.data.token };
  navigator.serviceWorker.ready.then(
    ({ active }) => (active ? active.postMessage(offer, [port]) : port.close()),
    () => port.close(),
  );
};
window.addEventListener('message', taken);
