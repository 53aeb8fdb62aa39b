// The RandomBytes port (src/core/ports.ts) over the host's cryptographic
// random source (WebCrypto's getRandomValues, in every runtime we ship: the
// extension's contexts and Node). The core never reads a random source
// itself: its composition roots pass this in, as they pass the clock.
import type { RandomBytes } from '../core/public.ts';

export const systemRandomBytes: RandomBytes = (n) => {
  const out = new Uint8Array(n);
  // getRandomValues fills at most 65536 bytes per call.
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  return out;
};
