// Downloads of an id from /create whose content has not arrived yet wait for
// it (spec: GET .../download `timeout_ms`, then 504 M_NOT_YET_UPLOADED). In
// memory: a restart only means a waiting download answers 504 early.
export class UploadWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** A promise that resolves when `mediaId` is uploaded (see `uploaded`), and a way to stop waiting. */
  wait(mediaId: string): { readonly done: Promise<void>; cancel(): void } {
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const set = this.waiting.get(mediaId) ?? new Set();
    set.add(resolve);
    this.waiting.set(mediaId, set);
    return {
      done,
      cancel: () => {
        set.delete(resolve);
        if (set.size === 0 && this.waiting.get(mediaId) === set) this.waiting.delete(mediaId);
      },
    };
  }

  /** After the upload's commit. */
  uploaded(mediaId: string): void {
    const set = this.waiting.get(mediaId);
    this.waiting.delete(mediaId);
    for (const resolve of set ?? []) resolve();
  }
}
