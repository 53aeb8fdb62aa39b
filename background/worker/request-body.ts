// A streamed request body (client-wire.ts) as the core reads it: the
// `body` messages of one request, taken in order as an AsyncIterable
// (HsRequest.bodyStream). Each piece the core takes asks the isolated script
// for one more (`more`), so at most BODY_WINDOW pieces wait here. The body
// must add up to exactly its announced length: more is refused at once, and
// a body that stops short (the page aborted, its port closed) fails the
// iteration, so the upload is aborted and nothing half-stored is kept.
import type { WireBytes } from '../../src/platform/web/client-wire.ts';
import { decodeWireBytes } from '../../src/platform/web/hs-wire.ts';

export class RequestBodyInbox {
  readonly #length: number;
  readonly #askMore: () => void;
  readonly #waiting: Uint8Array[] = [];
  #received = 0;
  #failure: Error | undefined;
  /** The reader took the whole body: ending the request now fails nothing. */
  #complete = false;
  #wake: (() => void) | undefined;

  constructor(length: number, askMore: () => void) {
    this.#length = length;
    this.#askMore = askMore;
  }

  /** A `body` message arrived. */
  push(bytes: WireBytes): void {
    if (this.#failure || this.#complete) return;
    let piece: Uint8Array;
    try {
      piece = decodeWireBytes(bytes);
    } catch {
      this.fail(new TypeError('malformed request body'));
      return;
    }
    this.#received += piece.length;
    if (this.#received > this.#length) {
      this.fail(new RangeError(`request body longer than its ${this.#length} bytes`));
      return;
    }
    this.#waiting.push(piece);
    this.#wakeReader();
  }

  /** The body will not come whole (abort, port closed): the reader throws. */
  fail(reason: Error): void {
    if (this.#failure || this.#complete) return;
    this.#failure = reason;
    this.#waiting.length = 0;
    this.#wakeReader();
  }

  /** The body, piece by piece, as the core reads it. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    let taken = 0;
    while (taken < this.#length) {
      if (this.#failure) throw this.#failure;
      const piece = this.#waiting.shift();
      if (!piece) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      taken += piece.length;
      if (taken < this.#length) this.#askMore();
      yield piece;
    }
    this.#complete = true;
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
