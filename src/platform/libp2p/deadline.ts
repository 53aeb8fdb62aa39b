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
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent?.reason);
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')),
    ms,
  );
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
