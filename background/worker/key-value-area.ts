// The slice of storage.local / storage.session the popup's background parts
// use, so that they run in unit tests over a Map and the browser's storage
// stays in the composition root (popup-background.ts).

export interface KeyValueArea {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  remove(key: string): Promise<void>;
}

/** A browser storage area (chrome.storage.local/session) as a KeyValueArea. */
export function storageAreaOf(area: {
  get(key: string): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(key: string): Promise<void>;
}): KeyValueArea {
  return {
    get: async (key) => (await area.get(key))[key],
    set: (key, value) => area.set({ [key]: value }),
    remove: (key) => area.remove(key),
  };
}

/** An in-memory area (tests; a browser without storage.session). */
export function memoryArea(): KeyValueArea {
  const map = new Map<string, unknown>();
  return {
    get: async (key) => structuredClone(map.get(key)),
    set: async (key, value) => {
      map.set(key, structuredClone(value));
    },
    remove: async (key) => {
      map.delete(key);
    },
  };
}
