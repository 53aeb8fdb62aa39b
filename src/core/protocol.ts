// Public entry of the Matrix protocol library: pure functions over events and
// JSON, no storage and no I/O (in the spirit of gomatrixserverlib).
export * from './protocol/types.ts';
export * from './protocol/room-version.ts';
export * from './protocol/power-levels.ts';
export * from './protocol/auth-events.ts';
export * from './protocol/auth-rules.ts';
export * from './protocol/redaction-handling.ts';
export * from './protocol/state-resolution.ts';
export * from './protocol/utf8.ts';
export * from './protocol/base64.ts';
export * from './protocol/canonical-json.ts';
export * from './protocol/crypto.ts';
export * from './protocol/ed25519.ts';
export * from './protocol/signing.ts';
export * from './protocol/identifiers.ts';
export * from './protocol/redaction.ts';
export * from './protocol/event-hashing.ts';
export * from './protocol/event-format.ts';
