// The names the background gives its clients in HsRequest.client: rate limits
// count per name (src/core/http/rate-limit.ts), and account creation is
// allowed per name (AccountConfig.mayRegister).

/** The extension's own pages (the popup): they may always create accounts. */
export const POPUP_CLIENT = 'popup';

const ORIGIN_PREFIX = 'origin:';

/** A page of an approved site. */
export function originClient(origin: string): string {
  return `${ORIGIN_PREFIX}${origin}`;
}

/** The site a client name stands for, or undefined when it is not a site. */
export function originOfClient(client: string | undefined): string | undefined {
  return client?.startsWith(ORIGIN_PREFIX) ? client.slice(ORIGIN_PREFIX.length) : undefined;
}
