// PBKDF2-HMAC-SHA256 for the core's password hashing (the Pbkdf2Sha256 port,
// src/core/ports.ts), on the host's WebCrypto: every runtime the homeserver
// runs on has it, and it runs off the JS thread.
import type { Pbkdf2Sha256 } from '../core/public.ts';
import { requireSubtle } from './webcrypto.ts';

export const webCryptoPbkdf2: Pbkdf2Sha256 = async (password, salt, iterations) => {
  const subtle = requireSubtle('PBKDF2');
  const key = await subtle.importKey('raw', password, { name: 'PBKDF2' }, false, ['deriveBits']);
  const bits = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  return new Uint8Array(bits);
};
