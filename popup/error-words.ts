// Errors from the background, said in words a person can act on. The
// background's own errors already carry such a message; the ones below come
// from the browser or the Matrix API, whose messages are for developers.

const WORDS: Record<string, string> = {
  ProtocolError: 'The background did not answer. It may be restarting: try again in a moment.',
  SenderRejectedError: 'The background refused this request.',
  PermissionRequiredError: 'The browser has not given the extension access to that site.',
  M_USER_IN_USE: 'That username is taken: choose another one.',
  M_INVALID_USERNAME: 'A username may only use the letters a to z, digits and . _ = - /',
  M_ROOM_IN_USE: 'That alias is already in use.',
  M_FORBIDDEN: 'You are not allowed to do that in this room.',
  M_NOT_FOUND: 'That no longer exists.',
};

/** What to tell the user about `err`. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return 'Something went wrong.';
  const words = WORDS[err.name];
  if (words) return words;
  // The browser's words when the worker is gone: "Could not establish connection. Receiving end does not exist."
  if (/receiving end does not exist|message port closed/i.test(err.message)) {
    return 'The background is not running. It is being started again: try again in a moment.';
  }
  return err.message || 'Something went wrong.';
}
