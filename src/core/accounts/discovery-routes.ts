// Discovery endpoints: what a client asks before it logs in (spec: "Server
// Discovery", GET /versions, "Capabilities negotiation").
import { notFound } from '../errors.ts';
import type { HsRequest } from '../http/types.ts';
import type { Route } from '../http/route.ts';
import { DEFAULT_ROOM_VERSION, SUPPORTED_ROOM_VERSIONS } from '../protocol/room-version.ts';
import type { AccountConfig, AccountDeps } from './deps.ts';
import { V3 } from './route-helpers.ts';
import { readOwnerSettings } from './server-settings.ts';
import { SERVER_SETTINGS } from './tables.ts';

/** Spec versions whose client-server API this server implements. */
export const SPEC_VERSIONS: readonly string[] = Array.from({ length: 11 }, (_, i) => `v1.${i + 1}`);

/** The base URL clients reach this server at: configured, or taken from the Host header. */
export function baseUrlOf(config: AccountConfig, req: HsRequest): string | undefined {
  if (config.baseUrl !== undefined) return config.baseUrl;
  const host = req.headers.host;
  return host ? `http://${host}` : undefined;
}

export function discoveryRoutes(deps: AccountDeps): Route[] {
  const { config } = deps;
  return [
    {
      method: 'GET',
      path: '/.well-known/matrix/client',
      auth: 'none',
      async handler({ req }) {
        const baseUrl = baseUrlOf(config, req);
        if (baseUrl === undefined) throw notFound('No base URL is known');
        return { body: { 'm.homeserver': { base_url: baseUrl } } };
      },
    },
    {
      // Spec: "Server Discovery", support information: the contact the owner
      // gave in the popup's settings, else the spec's 404, as a Matrix error.
      method: 'GET',
      path: '/.well-known/matrix/support',
      auth: 'none',
      handler: async () => {
        const { support } = await deps.store.read([SERVER_SETTINGS], readOwnerSettings);
        if (!support) throw notFound('This homeserver publishes no support contact');
        return { body: support };
      },
    },
    {
      // matrix-js-sdk sends this one with its access token (MSC4026), so auth is optional.
      method: 'GET',
      path: '/_matrix/client/versions',
      auth: 'optional',
      handler: async () => ({ body: { versions: SPEC_VERSIONS, unstable_features: {} } }),
    },
    {
      method: 'GET',
      path: `${V3}/capabilities`,
      auth: 'required',
      handler: async () => ({ body: { capabilities: capabilities() } }),
    },
  ];
}

function capabilities(): Record<string, unknown> {
  const available = Object.fromEntries(SUPPORTED_ROOM_VERSIONS.map((v) => [v, 'stable']));
  return {
    'm.change_password': { enabled: true },
    'm.room_versions': { default: DEFAULT_ROOM_VERSION, available },
    'm.set_displayname': { enabled: true },
    'm.set_avatar_url': { enabled: true },
    'm.3pid_changes': { enabled: false },
    'm.get_login_token': { enabled: true },
    'm.profile_fields': { enabled: true },
  };
}
