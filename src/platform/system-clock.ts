// The Clock port (src/core/ports.ts) over the host's Date and timers, for
// every runtime we ship (the extension's contexts and Node). The core never
// reads time or sets a timer itself: its composition roots pass this in.
import type { Clock } from '../core/public.ts';

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, cancel) =>
    new Promise<void>((resolve) => {
      const handle = setTimeout(resolve, ms);
      cancel?.then(() => {
        clearTimeout(handle);
        resolve();
      });
    }),
};
