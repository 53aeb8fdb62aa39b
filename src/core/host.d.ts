// The web platform globals the core uses, and nothing more. The core compiles
// against ES2022 only (no DOM, no node types), so every host API it relies on
// is declared here, once, in the slice it uses; all of them exist on every
// runtime the core runs on (Chromium, Firefox, Node 24). Time comes in through
// the Clock port (ports.ts), never a global timer. Only src/core/tsconfig.json
// reads this file: the platform configs have the full DOM or node typings,
// which the same code also typechecks against. scripts/boundary-rules.ts keeps
// `globalThis` out of the core, so a new host API is declared here or passed
// in as a port, never cast. Ed25519 and PBKDF2 (WebCrypto) are ports
// (ports.ts): only pure standard functions with one behaviour everywhere are
// declared here.
export {};

declare global {
  /** UTF-8 encoding (WHATWG Encoding). */
  class TextEncoder {
    encode(input?: string): Uint8Array;
    /** Writes into `destination` what fits; `read` UTF-16 units of `source`, `written` bytes. */
    encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
  }
  /** UTF-8 decoding; `fatal` throws on malformed input (WHATWG Encoding). */
  class TextDecoder {
    constructor(label?: string, options?: { fatal?: boolean });
    decode(input?: Uint8Array): string;
  }
  /** HTML's structured clone (a deep copy of a storage row). */
  function structuredClone<T>(value: T): T;
}
