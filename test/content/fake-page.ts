// A fake of what surrounds the MAIN-world shim in a page: `window` (its
// location, the postMessage that hands the channel's port over, a native
// fetch and XMLHttpRequest to fall back on) and the isolated script at the
// far end of the channel, which the test answers for. Node has MessageChannel,
// ReadableStream and Response; ProgressEvent is added when missing.
import type { ShimMessage } from '../../src/platform/web/client-wire.ts';

export const PAGE_ORIGIN = 'https://client.example';

export interface FakeIsolatedScript {
  /** The next message the shim sends (waits for it). */
  next(): Promise<ShimMessage>;
  /** A message to the shim, as the isolated script would post it (or anything else, for the malformed cases). */
  reply(msg: unknown, transfer?: Transferable[]): void;
}

export interface FakePage {
  /** The isolated end of the channel, once the shim has opened it. */
  isolated(): FakeIsolatedScript;
  /** URLs the native fetch was called with. */
  readonly nativeFetches: string[];
  /** Closes the channel, so that the test process can exit. */
  close(): void;
}

/** Stands in for the native XMLHttpRequest; the shim's subclass never calls it for the homeserver URL. */
class NativeXhrStandIn extends EventTarget {
  timeout = 0;
  responseType = '';
  open(): void {
    throw new Error('the native XMLHttpRequest was used');
  }
}

class ProgressEventStandIn extends Event {
  readonly loaded: number;
  readonly total: number;
  readonly lengthComputable: boolean;
  constructor(type: string, init: ProgressEventInit = {}) {
    super(type);
    this.loaded = init.loaded ?? 0;
    this.total = init.total ?? 0;
    this.lengthComputable = init.lengthComputable ?? false;
  }
}

/** Installs globalThis.window; import the shim modules after this. */
export function installFakePage(): FakePage {
  let port: MessagePort | undefined;
  const queued: ShimMessage[] = [];
  const waiting: ((msg: ShimMessage) => void)[] = [];
  const nativeFetches: string[] = [];
  const window = {
    location: { origin: PAGE_ORIGIN, href: `${PAGE_ORIGIN}/app/` },
    postMessage(_msg: unknown, _targetOrigin: string, transfer: MessagePort[]) {
      port = transfer[0]!;
      port.onmessage = (event: MessageEvent<ShimMessage>) => {
        const waiter = waiting.shift();
        if (waiter) waiter(event.data);
        else queued.push(event.data);
      };
    },
    fetch: async (input: RequestInfo | URL) => {
      nativeFetches.push(String(input));
      return new Response('from the network');
    },
    XMLHttpRequest: NativeXhrStandIn,
  };
  Object.assign(globalThis, { window });
  if (typeof globalThis.ProgressEvent === 'undefined')
    Object.assign(globalThis, { ProgressEvent: ProgressEventStandIn });
  return {
    nativeFetches,
    isolated() {
      const channel = port;
      if (!channel) throw new Error('the shim has not opened its channel');
      return {
        next: () => {
          const msg = queued.shift();
          return msg ? Promise.resolve(msg) : new Promise((resolve) => waiting.push(resolve));
        },
        reply: (msg, transfer = []) => channel.postMessage(msg, transfer),
      };
    },
    close: () => port?.close(),
  };
}

/** A chunk message carrying `text` as UTF-8 bytes, and the buffer to transfer with it. */
export function textChunk(id: number, text: string): [unknown, Transferable[]] {
  const bytes = new TextEncoder().encode(text).buffer;
  return [{ type: 'chunk', id, bytes }, [bytes]];
}
