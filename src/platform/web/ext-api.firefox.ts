// Firefox build of ext-api.ts: the standard `browser` namespace, promise-based
// in every Firefox version we support. Its shape matches `chrome` for the
// APIs this extension uses.
declare const browser: typeof chrome;

export const ext: typeof chrome = browser;
