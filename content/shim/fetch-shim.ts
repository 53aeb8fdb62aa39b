// Replaces window.fetch so that requests to the homeserver URL are answered
// by the extension and return real Response objects, resolved at the head
// with a streaming body; every other request goes to the browser's own fetch
// untouched.
import { isHomeserverUrl } from '../../src/platform/web/homeserver-url.ts';
import type { PageChannel, ShimResponse } from './page-channel.ts';

export function installFetchShim(channel: PageChannel): void {
  const nativeFetch = window.fetch;
  window.fetch = function fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    if (!isHomeserverUrl(urlOf(input), window.location.href)) return nativeFetch.call(window, input, init);
    // A text body (a JSON client's, matrix-js-sdk's) is taken as it was given: reading it back
    // from the Request costs the page's thread about 0.2 ms a request (two-browser bench).
    return shimFetch(
      channel,
      new Request(input, init),
      typeof init?.body === 'string' ? init.body : undefined,
    );
  };
}

/** The page's request, answered by the extension's homeserver; `text`: its body, when the page gave it as a string. */
export async function shimFetch(channel: PageChannel, request: Request, text?: string): Promise<Response> {
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const body = !hasBody ? null : text !== undefined ? utf8Buffer(text) : await request.arrayBuffer();
  const res = await channel.request(
    {
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: body && body.byteLength > 0 ? body : null,
    },
    request.signal,
  );
  return toResponse(res, request.url);
}

/**
 * A real Response over the body's bytes, or whose body streams in as the
 * extension sends it; its url reads as the request's, as a fetched one would.
 */
export function toResponse(res: ShimResponse, url: string): Response {
  const body = isNullBodyStatus(res.status) ? null : res.body;
  const response = new Response(body, { status: res.status, headers: res.headers });
  Object.defineProperty(response, 'url', { value: url });
  return response;
}

/** Statuses whose response has no body, whatever was sent (Fetch standard, "null body status"). */
export function isNullBodyStatus(status: number): boolean {
  return status === 101 || status === 204 || status === 205 || status === 304;
}

function urlOf(input: RequestInfo | URL): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  if (input instanceof Request) return input.url;
  return String(input);
}

const encoder = new TextEncoder();

/** `text` in UTF-8, as the Request's body would read (Fetch: a string body is UTF-8 encoded). */
function utf8Buffer(text: string): ArrayBuffer {
  return encoder.encode(text).buffer as ArrayBuffer;
}
