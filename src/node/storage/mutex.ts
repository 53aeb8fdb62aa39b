// One-at-a-time execution of async sections, in call order. node:sqlite is
// synchronous and a connection has one transaction, so a transaction that
// awaits between its statements must keep every other one out until it ends.

export type Mutex = <T>(section: () => Promise<T>) => Promise<T>;

export function createMutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve();
  return (section) => {
    const result = tail.then(section);
    tail = result.catch(() => undefined);
    return result;
  };
}
