// The match pattern of one web origin, for host permissions and content
// scripts. Chrome matches the port too, so the pattern covers exactly the
// approved origin. The Firefox build swaps this file for
// match-pattern.firefox.ts.

/** `origin` is already normalised (origins.ts normalizeOrigin). */
export function originMatchPattern(origin: string): string {
  return `${origin}/*`;
}
