// The homeserver URL the extension gives web clients.
//
// `https://p2p-matrix.invalid` is an https URL, so every client accepts it as a
// homeserver (some refuse plain http outside localhost), and `.invalid` is
// reserved by RFC 2606/6761: it never resolves. On an approved page the
// content-script shim answers it; anywhere the shim is absent (an unapproved
// site, the extension disabled) a request to it fails with a network error
// instead of reaching somebody else's server. `.localhost` was rejected: it
// resolves to the user's own machine, where any local service could answer.

export const HOMESERVER_ORIGIN = 'https://p2p-matrix.invalid';

const HOMESERVER_PREFIX = `${HOMESERVER_ORIGIN}/`;

/** Whether `url` (absolute, or relative to `base`) is answered by the extension's homeserver. */
export function isHomeserverUrl(url: string, base?: string): boolean {
  // Every request of a client on its way to the homeserver asks this (page
  // and worker): the usual absolute form is told by its prefix, which no
  // parse can give another origin, without building a URL.
  if (url.startsWith(HOMESERVER_PREFIX)) return true;
  try {
    return new URL(url, base).origin === HOMESERVER_ORIGIN;
  } catch {
    return false;
  }
}
