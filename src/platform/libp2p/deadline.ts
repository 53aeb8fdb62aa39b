// A signal for one federation exchange: aborted after `ms`, or when `parent`
// aborts (the transport closing), and released as soon as the exchange is
// over. AbortSignal.timeout keeps its timer until it fires, long after the
// exchange (then builds a DOMException and aborts every signal
// AbortSignal.any made of it), and AbortSignal.any keeps its sources'
// listeners until collected: per request over a kept stream these were a
// measurable part of a federation request's CPU time (issue 13).

export interface Deadline {
  readonly signal: AbortSignal;
  /** Drops the timer and the listener on the parent; the signal stays as it is. */
  clear(): void;
}

export function deadline(ms: number, parent?: AbortSignal): Deadline {
  const link = linked(parent);
  const timer = setTimeout(
    () => link.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')),
    ms,
  );
  return {
    signal: link.signal,
    clear: () => {
      clearTimeout(timer);
      link.release();
    },
  };
}

/** A signal of its own that also aborts when `parent` does, until released. */
export interface Linked {
  readonly signal: AbortSignal;
  /** Aborts this signal alone, never the parent. */
  abort(reason?: unknown): void;
  /** Drops the listener on the parent (AbortSignal.any's stays until collected); the signal stays as it is. */
  release(): void;
}

export function linked(parent?: AbortSignal): Linked {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    release: () => parent?.removeEventListener('abort', onParentAbort),
  };
}
