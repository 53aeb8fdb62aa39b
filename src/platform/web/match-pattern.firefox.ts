// Firefox build of match-pattern.ts. Firefox's match patterns have no port:
// `http://127.0.0.1:8080/*` is accepted but matches no page at all (measured
// with Firefox ESR 153: such a granted permission and such registered
// content scripts never apply), so the pattern names the scheme and host
// only and covers every port of that host. The approval itself stays one
// exact origin: the background refuses ports and messages from pages of any
// other origin (sender-checks.ts, client-ports.ts), so a page on another
// port of an approved host gets the shim but no answer, only network errors.

/** `origin` is already normalised (origins.ts normalizeOrigin). */
export function originMatchPattern(origin: string): string {
  const url = new URL(origin);
  return `${url.protocol}//${url.hostname}/*`;
}
