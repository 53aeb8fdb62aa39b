// A fake of what surrounds the MAIN-world shim in a page: `window` (its
// location, the postMessage that hands the channel's port over, a native
// fetch and XMLHttpRequest to fall back on) and the isolated script at the
// far end of the channel, which the test answers for. Node has MessageChannel,
// ReadableStream and Response; ProgressEvent is added when missing.
import { CHANNEL_TAKEN_TYPE, HANDSHAKE_TYPE, type ShimMessage } from '../../src/platform/web/client-wire.ts';

export const PAGE_ORIGIN = 'https://client.example';

export interface FakeIsolatedScript {
  /** The next message the shim sends (waits for it). */
  next(): Promise<ShimMessage>;
  /** A message to the shim, as the isolated script would post it (or anything else, for the malformed cases). */
  reply(msg: unknown, transfer?: Transferable[]): void;
}

export interface FakePage {
  /** The isolated end of the channel (the stand-in's), which takes it once the shim offers it. */
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

/** A window message as the browser dispatches it (Node's MessageEvent takes no window as its source). */
class WindowMessageEvent extends Event {
  readonly data: unknown;
  readonly source: unknown;
  readonly ports: readonly MessagePort[];
  constructor(data: unknown, source: unknown, ports: readonly MessagePort[]) {
    super('message');
    this.data = data;
    this.source = source;
    this.ports = ports;
  }
}

/** `window`: its location, postMessage (dispatched as a task, as browsers do), a native fetch and XMLHttpRequest. */
class FakeWindow extends EventTarget {
  readonly location = { origin: PAGE_ORIGIN, href: `${PAGE_ORIGIN}/app/` };
  readonly XMLHttpRequest = NativeXhrStandIn;
  readonly nativeFetches: string[] = [];
  postMessage(data: unknown, _targetOrigin: string, transfer: MessagePort[] = []): void {
    setImmediate(() => this.dispatchEvent(new WindowMessageEvent(data, this, transfer)));
  }
  // Node's EventTarget does not match `removeEventListener(type, fn, true)` to `addEventListener(type, fn, true)`; browsers do.
  override removeEventListener(
    type: string,
    listener: EventListener | null,
    options?: boolean | EventListenerOptions,
  ) {
    super.removeEventListener(type, listener, typeof options === 'boolean' ? { capture: options } : options);
  }
  fetch = async (input: RequestInfo | URL) => {
    this.nativeFetches.push(String(input));
    return new Response('from the network');
  };
}

/**
 * Installs globalThis.window; import the shim modules after this. With
 * `bridge` (the default), a stand-in for the isolated script takes the
 * shim's channel as bridge/page-handshake.ts does, and the test answers for
 * it; without, the test brings the real one.
 */
export function installFakePage({ bridge = true } = {}): FakePage {
  let port: MessagePort | undefined;
  const queued: ShimMessage[] = [];
  const waiting: ((msg: ShimMessage) => void)[] = [];
  const window = new FakeWindow();
  if (bridge) {
    const take = (event: Event) => {
      const { data, ports } = event as WindowMessageEvent;
      if ((data as { type?: unknown } | null)?.type !== HANDSHAKE_TYPE || ports.length !== 1) return;
      window.removeEventListener('message', take, true);
      port = ports[0]!;
      port.onmessage = (message: MessageEvent<ShimMessage>) => {
        const waiter = waiting.shift();
        if (waiter) waiter(message.data);
        else queued.push(message.data);
      };
      port.postMessage({ type: CHANNEL_TAKEN_TYPE });
    };
    window.addEventListener('message', take, true);
  }
  Object.assign(globalThis, { window });
  if (typeof globalThis.ProgressEvent === 'undefined')
    Object.assign(globalThis, { ProgressEvent: ProgressEventStandIn });
  return {
    nativeFetches: window.nativeFetches,
    isolated() {
      return {
        next: () => {
          const msg = queued.shift();
          return msg ? Promise.resolve(msg) : new Promise((resolve) => waiting.push(resolve));
        },
        reply: (msg, transfer = []) => {
          if (!port) throw new Error('the shim has not opened its channel');
          port.postMessage(msg, transfer);
        },
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
