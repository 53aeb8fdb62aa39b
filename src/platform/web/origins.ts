// Web origins the user approves, and the match patterns they turn into.
import { originMatchPattern } from './match-pattern.ts';

/** An origin string that cannot be approved (not http/https, or not a URL at all). */
export class InvalidOriginError extends Error {
  override readonly name = 'InvalidOriginError';
}

/**
 * The canonical form of a web origin (`https://app.example:8443`): scheme,
 * host and non-default port, as `URL.origin` writes them. Anything but an
 * http(s) origin (`null`, `file:`, `chrome-extension:`) is refused, and so
 * is a URL with a path, query or credentials, so that an approval can never
 * be wider or narrower than the user was shown, and plain http away from
 * loopback.
 */
export function normalizeOrigin(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new InvalidOriginError(`not an origin: ${input}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOriginError(`only http and https origins can be approved, not ${url.protocol}`);
  }
  const bare = url.pathname === '/' && url.search === '' && url.hash === '';
  if (!bare || url.username !== '' || url.password !== '') {
    throw new InvalidOriginError(`an origin has no path, query or credentials: ${input}`);
  }
  // Plain http anywhere but this machine can be read and rewritten on the way
  // (any Wi-Fi, any proxy), and whoever does so would hold the user's
  // homeserver: only loopback may be approved over http.
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new InvalidOriginError(`only https origins can be approved, or http on this machine: ${input}`);
  }
  return url.origin;
}

/** localhost (and its subdomains, RFC 6761), 127.0.0.0/8 and [::1]: names that never leave the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * The extension match pattern covering the pages of `origin`: exactly that
 * origin in Chrome, every port of its host in Firefox (match-pattern.ts).
 */
export function matchPatternFor(origin: string): string {
  return originMatchPattern(normalizeOrigin(origin));
}
