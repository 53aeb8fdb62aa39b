// One request on the page channel, from the shim's side: waits for the head,
// then feeds the body stream chunk by chunk until the end (client-wire.ts).
// The page's abort signal and a cancel of the body stream both tell the
// background to stop; a failure before the head rejects like fetch's network
// error, after it errors the body stream the same way.
import type { BridgeMessage } from '../../src/platform/web/client-wire.ts';

export interface ShimResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The bytes when the answer came in one message (`whole`: most API
   * answers), so that the page's Response reads them natively (its json()
   * takes half the time of one over a script-fed stream, measured in
   * Chromium); else a stream fed as the chunks arrive, which errors with a
   * TypeError if the answer dies midway.
   */
  readonly body: ArrayBuffer | ReadableStream<Uint8Array<ArrayBuffer>>;
}

export interface IncomingResponseHooks {
  /** The head arrived. */
  resolve(res: ShimResponse): void;
  /** The request failed or was aborted before its head. */
  reject(err: unknown): void;
  /** Tells the background to stop answering. */
  abort(): void;
  /** The request is over, however it ended: forget it. */
  finished(): void;
}

export class IncomingResponse {
  readonly #hooks: IncomingResponseHooks;
  readonly #signal: AbortSignal | undefined;
  #body: ReadableStreamDefaultController<Uint8Array<ArrayBuffer>> | undefined;
  #finished = false;
  readonly #onAbort = () => {
    this.#hooks.abort();
    this.#fail(abortReason(this.#signal!));
  };

  constructor(hooks: IncomingResponseHooks, signal?: AbortSignal) {
    this.#hooks = hooks;
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** A message for this request; one out of order (a chunk before the head, say) is dropped. */
  receive(msg: BridgeMessage): void {
    if (this.#finished) return;
    if (msg.type === 'whole') {
      if (this.#body) return;
      this.#hooks.resolve({ status: msg.status, headers: msg.headers, body: msg.bytes });
      this.#finish();
    } else if (msg.type === 'head') this.#head(msg.status, msg.headers);
    else if (msg.type === 'chunk') this.#body?.enqueue(new Uint8Array(msg.bytes));
    else if (msg.type === 'end') this.#end();
    else this.#fail(new TypeError(`Failed to fetch (${msg.reason})`));
  }

  #head(status: number, headers: Readonly<Record<string, string>>): void {
    if (this.#body) return;
    const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
      start: (controller) => {
        this.#body = controller;
      },
      cancel: () => {
        if (this.#finished) return;
        this.#hooks.abort();
        this.#finish();
      },
    });
    this.#hooks.resolve({ status, headers, body });
  }

  #end(): void {
    if (!this.#body) return;
    this.#body.close();
    this.#finish();
  }

  #fail(err: unknown): void {
    if (this.#finished) return;
    if (this.#body) this.#body.error(err);
    else this.#hooks.reject(err);
    this.#finish();
  }

  #finish(): void {
    this.#finished = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#hooks.finished();
  }
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}
