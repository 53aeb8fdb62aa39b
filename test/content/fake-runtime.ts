// A fake of the part of chrome.runtime the isolated content script uses: each
// connect() makes a port the test can answer on or disconnect, as the
// background (or its death) would.

type Listener<A extends unknown[]> = (...args: A) => void;

class FakeEvent<A extends unknown[]> {
  readonly listeners: Listener<A>[] = [];
  addListener(listener: Listener<A>): void {
    this.listeners.push(listener);
  }
  emit(...args: A): void {
    for (const listener of this.listeners) listener(...args);
  }
}

export class FakePort {
  readonly name: string;
  readonly sent: unknown[] = [];
  readonly onMessage = new FakeEvent<[unknown]>();
  readonly onDisconnect = new FakeEvent<[FakePort]>();
  connected = true;

  constructor(name: string) {
    this.name = name;
  }

  postMessage(msg: unknown): void {
    if (!this.connected) throw new Error('Attempting to use a disconnected port object');
    this.sent.push(msg);
  }

  /** The background answers. */
  reply(msg: unknown): void {
    this.onMessage.emit(msg);
  }

  /** The worker died: the browser disconnects the port. */
  die(): void {
    this.connected = false;
    this.onDisconnect.emit(this);
  }
}

export interface FakeRuntime {
  readonly ports: FakePort[];
  /** The port opened last. */
  latest(): FakePort;
}

/** Installs globalThis.chrome with a fake runtime; import the code under test after this. */
export function installFakeRuntime(): FakeRuntime {
  const ports: FakePort[] = [];
  const runtime = {
    lastError: undefined,
    connect: ({ name }: { name: string }) => {
      const port = new FakePort(name);
      ports.push(port);
      return port;
    },
  };
  Object.assign(globalThis, { chrome: { runtime } });
  return {
    ports,
    latest: () => {
      const port = ports.at(-1);
      if (!port) throw new Error('no port was opened');
      return port;
    },
  };
}
