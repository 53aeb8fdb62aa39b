// Gives the page's media elements the homeserver URL. Web clients show
// avatars and thumbnails as `<img src="https://p2p-matrix.invalid/_matrix/media/v3/thumbnail/…">`
// (Element 1.12.7 does, for every avatar and every image in an unencrypted
// room), and the browser loads such a URL itself: it never calls the page's
// fetch, so the fetch shim never sees it, and Element's own service worker,
// which catches it, is not a page and has no shim either. So the URL never
// reaches the element: setting `src` (or `poster`) to a homeserver URL,
// through the property or setAttribute as React does, fetches it through the
// same channel as the page's fetch and sets a `blob:` URL of the page in its
// place; elements the HTML parser made (innerHTML) are caught by a
// MutationObserver and get the same. Media that could not be had is handed to
// the browser as it was, so the element fails as it would have, with its
// `error` event (Element then shows the sender's initial). The README's
// "Media for the page" weighs this against the alternatives, with numbers.
import { isHomeserverUrl } from '../../src/platform/web/homeserver-url.ts';
import type { MediaCache } from './media-cache.ts';

/** The attributes through which an element loads a URL itself, by element type. */
type ElementType = (abstract new () => HTMLElement) & { readonly prototype: HTMLElement };

const MEDIA_ATTRIBUTES: readonly (readonly [ElementType, string])[] = [
  [HTMLImageElement, 'src'],
  [HTMLMediaElement, 'src'],
  [HTMLSourceElement, 'src'],
  [HTMLVideoElement, 'poster'],
];

const SELECTOR = ['img[src]', 'video[src]', 'audio[src]', 'source[src]', 'video[poster]'].join(',');

type Route = (el: Element, attr: string, value: string) => boolean;

export function installMediaElementShim(cache: MediaCache): void {
  const nativeSetAttribute = Element.prototype.setAttribute;
  /** The homeserver URL each element's attribute should show; a later set wins over a load still running. */
  const wanted = new WeakMap<Element, Map<string, string>>();

  const route: Route = (el, attr, value) => {
    const url = absoluteHomeserverUrl(value);
    const forElement = wanted.get(el) ?? new Map<string, string>();
    if (!url) {
      forElement.delete(attr);
      return false;
    }
    forElement.set(attr, url);
    wanted.set(el, forElement);
    const stillWanted = () => wanted.get(el)?.get(attr) === url;
    cache.objectUrl(url).then(
      (objectUrl) => stillWanted() && nativeSetAttribute.call(el, attr, objectUrl),
      () => stillWanted() && nativeSetAttribute.call(el, attr, value),
    );
    return true;
  };
  /** Already routed: loading, or handed back to the browser after a failure (which must not start over). */
  const routed = (el: Element, attr: string, url: string) => wanted.get(el)?.get(attr) === url;

  for (const [type, attr] of MEDIA_ATTRIBUTES) hookProperty(type.prototype, attr, route);
  Element.prototype.setAttribute = function setAttribute(name: string, value: string) {
    const attr = String(name).toLowerCase();
    if (isMediaAttribute(this, attr) && route(this, attr, String(value))) return;
    nativeSetAttribute.call(this, name, value);
  };
  observeParsedElements((el, attr, value) => {
    const url = absoluteHomeserverUrl(value);
    return url !== undefined && !routed(el, attr, url) && route(el, attr, value);
  });
}

function absoluteHomeserverUrl(value: string): string | undefined {
  return isHomeserverUrl(value, document.baseURI) ? new URL(value, document.baseURI).href : undefined;
}

function isMediaAttribute(el: Element, attr: string): boolean {
  return MEDIA_ATTRIBUTES.some(([type, name]) => name === attr && el instanceof type);
}

/** Wraps the property's setter; the getter stays the browser's. */
function hookProperty(proto: HTMLElement, attr: string, route: Route) {
  const native = Object.getOwnPropertyDescriptor(proto, attr);
  if (!native?.set) return;
  const nativeSet = native.set;
  Object.defineProperty(proto, attr, {
    ...native,
    set(this: Element, value: unknown) {
      if (!route(this, attr, String(value))) nativeSet.call(this, value);
    },
  });
}

/**
 * Elements that never passed through a setter (made by the HTML parser from
 * markup, or by cloning) start a load of the homeserver URL that fails; they
 * are given the `blob:` URL as soon as they are in the document.
 */
function observeParsedElements(route: Route): void {
  const visit = (el: Element) => {
    for (const attr of ['src', 'poster']) {
      const value = el.getAttribute(attr);
      if (value !== null && isMediaAttribute(el, attr)) route(el, attr, value);
    }
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'attributes') visit(record.target as Element);
      for (const node of record.addedNodes) {
        if (!(node instanceof Element)) continue;
        visit(node);
        for (const el of node.querySelectorAll(SELECTOR)) visit(el);
      }
    }
  }).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ['src', 'poster'],
  });
}
