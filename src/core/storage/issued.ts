// Requests issued now and awaited later. Over IndexedDB each request awaited
// on its own is a round trip to the browser's storage process, so a write
// issues the requests that do not depend on each other together and awaits
// them at the end. Two rules hold for every such request (port.ts): it is
// awaited before the transaction's function returns, so that a failed
// request fails the write; and a throw before that (which aborts the
// transaction, rejecting the request too) leaves no unhandled rejection.
// A write keeps its requests here and awaits settled() instead of keeping
// each promise and handling it by hand.

/** Promises issued and not awaited yet (see the header). */
export interface Issued {
  /** Keeps `request` for settled(), handled so that an early throw leaves no unhandled rejection; returns it. */
  add<T>(request: Promise<T>): Promise<T>;
  /** Awaits every request added, those added meanwhile too; rejects as soon as one does (as Promise.all). */
  settled(): Promise<void>;
}

const ignore = (): void => {};

/**
 * A promise awaited later on its own (not kept for settled()), handled now so
 * that a throw before it is awaited leaves no unhandled rejection; returns it.
 */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}

/** An empty set of issued requests. */
export function issued(): Issued {
  const pending: Promise<unknown>[] = [];
  return {
    add(request) {
      pending.push(handled(request));
      return request;
    },
    async settled() {
      while (pending.length > 0) await Promise.all(pending.splice(0));
    },
  };
}
