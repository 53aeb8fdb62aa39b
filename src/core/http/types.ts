// The platform-independent request and response the homeserver core speaks.
// Adapters (Node http, the extension's content-script port, libp2p streams)
// translate to and from these; the core never sees a platform object.
import type { StreamedBody } from './streamed-body.ts';

export interface HsRequest {
  readonly method: string;
  /**
   * The path as sent, percent-encoded, without the query string, e.g.
   * `/_matrix/client/v3/rooms/!a:b/send/m.room.message/1`. The router splits it
   * on `/` before decoding each segment, so an encoded `/` (%2F) stays inside
   * its parameter; adapters must not decode it.
   */
  readonly path: string;
  /** Query parameters; repeated keys keep every value in order. */
  readonly query: Readonly<Record<string, string | readonly string[]>>;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** Raw body bytes (undefined when there is none). */
  readonly body?: Uint8Array;
  /**
   * The body as it arrives, for adapters that stream it (Node's http server)
   * instead of setting `body`. The router reads it whole, up to the route's
   * limit, for every route except those that take it as a stream (media
   * uploads: Route.streamBody), so that a big upload is never whole in memory.
   */
  readonly bodyStream?: AsyncIterable<Uint8Array>;
  /**
   * Who is asking, as the adapter knows it, for rate limits: `ip:<address>`
   * on the Node peer, `origin:<page origin>` in the extension, `popup` for
   * the extension's own pages. Undefined for in-process callers (the host's
   * own code, tests), which no rate limit applies to.
   */
  readonly client?: string;
  /**
   * Whether the client is one party whatever account it uses (a site in the
   * extension, whose page may hold several accounts' tokens), so that its
   * authenticated requests count against it as well as against their user.
   * An address is not (users behind one NAT share it): there only anonymous
   * requests count against the client.
   */
  readonly clientIsParty?: boolean;
  /** An abort signal-like hook: resolves when the caller has gone away (long-polls stop early). */
  readonly closed?: Promise<void>;
}

export interface HsResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** A JSON body (serialised by the adapter), raw bytes, or bytes streamed in chunks (media). */
  readonly body: unknown | Uint8Array | StreamedBody;
}
