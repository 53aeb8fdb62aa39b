// Chrome's NodeLink (node-link-api.ts): the node runs in the offscreen
// document; offscreen-link.ts links the worker to it, given the browser's
// parts wired here.
// The Firefox build swaps this file for node-link.firefox.ts.
import { ext } from '../../src/platform/web/ext-api.ts';
import { OFFSCREEN_PAGE } from '../../src/platform/web/node-wire.ts';
import type { NodeLink, NodeLinkDeps } from './node-link-api.ts';
import { type ChannelOfferEvent, offscreenLink } from './offscreen-link.ts';
import { offscreenDocument } from './offscreen-document.ts';

export function createNodeLink(deps: NodeLinkDeps): NodeLink {
  return offscreenLink(deps, {
    document: offscreenDocument(),
    extensionId: ext.runtime.id,
    offscreenUrl: ext.runtime.getURL(OFFSCREEN_PAGE),
    // A service worker's message event; registered now, at the worker's top level.
    onChannelOffer: (listener) =>
      globalThis.addEventListener('message', (evt: MessageEvent) =>
        listener({ data: evt.data, ports: evt.ports, source: evt.source as ChannelOfferEvent['source'] }),
      ),
  });
}
