// Identifiers the accounts module hands out, all from the injected random source.
import { encodeBase64Url, encodeHex } from '../protocol/base64.ts';

type RandomBytes = (n: number) => Uint8Array;

/** An access token: 32 random bytes, URL-safe base64 (43 characters). */
export function newAccessToken(randomBytes: RandomBytes): string {
  return encodeBase64Url(randomBytes(32));
}

/** A user-interactive auth session id. */
export function newSessionId(randomBytes: RandomBytes): string {
  return encodeBase64Url(randomBytes(18));
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A device id of 10 upper-case letters, as Synapse makes them (short enough to read out). */
export function newDeviceId(randomBytes: RandomBytes): string {
  let id = '';
  while (id.length < 10) {
    for (const byte of randomBytes(16)) {
      // Rejection sampling keeps the letters uniform.
      if (byte < 26 * 9 && id.length < 10) id += LETTERS[byte % 26];
    }
  }
  return id;
}

/** A localpart for a registration that named none. */
export function newLocalpart(randomBytes: RandomBytes): string {
  return `user-${encodeHex(randomBytes(5))}`;
}
