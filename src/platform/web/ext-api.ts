// The WebExtension API object. Chrome's MV3 `chrome.*` returns promises; the
// Firefox build swaps this file for ext-api.firefox.ts (scripts/build.ts), so
// no code asks which browser it runs in. No polyfill is needed: both browsers
// give promise-returning APIs in MV3.
export const ext: typeof chrome = chrome;
