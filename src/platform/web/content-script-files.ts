// The content scripts the build emits and the background registers on
// approved origins: one place for their file names.

/** MAIN world: replaces fetch and XMLHttpRequest for the homeserver URL. */
export const MAIN_WORLD_SCRIPT = 'content-main.js';
/** Isolated world: carries the shim's requests to the background over a runtime port. */
export const ISOLATED_WORLD_SCRIPT = 'content-isolated.js';
