// Which requests the content script may send again after the background died
// while answering them. A retried request may have been applied already, so
// only requests whose repetition the server treats as the same request are
// retried: reads, and the client-server API's PUTs keyed by a transaction id
// (spec: "Transaction identifiers" — the server answers a repeated txnId with
// the first result). Anything else fails as a network error, and the client
// decides, as it would after a dropped HTTP connection.

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `.../rooms/{roomId}/send/{type}/{txnId}`, `.../redact/{eventId}/{txnId}`, `.../sendToDevice/{type}/{txnId}`. */
const TXN_PUT = /\/_matrix\/client\/[^/]+\/(rooms\/[^/]+\/(send|redact)|sendToDevice)\/[^/]+\/[^/]+$/;

export function isRetryable(method: string, path: string): boolean {
  const verb = method.toUpperCase();
  if (READS.has(verb)) return true;
  return verb === 'PUT' && TXN_PUT.test(path);
}
