// Password hashing with PBKDF2-HMAC-SHA256 (the Pbkdf2Sha256 port: WebCrypto
// on every platform the core runs on, src/platform/pbkdf2.ts). Stored as `pbkdf2-sha256$<iterations>$<salt>$<hash>`
// (base64) so the iteration count can grow without invalidating old hashes.
// Hash and verify before opening a transaction: they await the host.
import { decodeBase64, encodeBase64 } from '../protocol/base64.ts';
import type { Pbkdf2Sha256 } from '../ports.ts';
import { utf8Encode } from '../protocol/utf8.ts';

/** OWASP's 2023 guidance for PBKDF2-HMAC-SHA256 is 600,000; this is a local server, verify stays well under a second. */
export const PASSWORD_ITERATIONS = 600_000;

export async function hashPassword(
  pbkdf2: Pbkdf2Sha256,
  password: string,
  randomBytes: (n: number) => Uint8Array,
  iterations = PASSWORD_ITERATIONS,
): Promise<string> {
  const salt = randomBytes(16);
  const hash = await pbkdf2(utf8Encode(password), salt, iterations);
  return `pbkdf2-sha256$${iterations}$${encodeBase64(salt)}$${encodeBase64(hash)}`;
}

/** True when `password` matches `stored`; false for any malformed stored value. */
export async function verifyPassword(
  pbkdf2: Pbkdf2Sha256,
  password: string,
  stored: string,
): Promise<boolean> {
  const [scheme, rounds, salt, hash] = stored.split('$');
  const iterations = Number(rounds);
  if (scheme !== 'pbkdf2-sha256' || !Number.isSafeInteger(iterations) || iterations < 1 || !salt || !hash) {
    return false;
  }
  const expected = decodeBase64(hash);
  const actual = await pbkdf2(utf8Encode(password), decodeBase64(salt), iterations);
  return constantTimeEqual(expected, actual);
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
