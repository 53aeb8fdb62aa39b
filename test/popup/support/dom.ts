// A DOM for the popup's component tests: happy-dom's window, installed as
// the globals Preact and Testing Library look up. Import this module before
// them (module bodies run in import order). Node's own event classes are
// replaced too: happy-dom's elements only dispatch happy-dom's events.
import { Window } from 'happy-dom';

export const window = new Window({
  url: 'chrome-extension://popup-test/popup.html',
  width: 400,
  height: 580,
});

const REPLACED = ['Event', 'EventTarget', 'CustomEvent', 'navigator', 'DOMException'];
const KEPT = new Set(['undefined', 'NaN', 'Infinity', 'globalThis', 'global', 'constructor']);

for (const key of Object.getOwnPropertyNames(window)) {
  if (KEPT.has(key) || (key in globalThis && !REPLACED.includes(key))) continue;
  Object.defineProperty(globalThis, key, {
    value: (window as unknown as Record<string, unknown>)[key],
    configurable: true,
    writable: true,
  });
}
Object.defineProperty(globalThis, 'window', { value: window, configurable: true, writable: true });
Object.defineProperty(globalThis, 'document', { value: window.document, configurable: true, writable: true });

/** Ends happy-dom's timers so the test process can exit. */
export async function closeDom(): Promise<void> {
  await window.happyDOM.close();
}
