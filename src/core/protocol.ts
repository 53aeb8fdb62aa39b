// Public entry of the Matrix protocol library: pure functions over events and
// JSON, no storage and no I/O (in the spirit of gomatrixserverlib).
export * from './protocol/types.ts';
export * from './protocol/room-version.ts';
