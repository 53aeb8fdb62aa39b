// Tables owned by the accounts module (the homeserver's schema, src/core/schema.ts, lists them through api.ts).
//
// - `users`: one row per local account; `password_hash` is a PBKDF2 string
//   (password-hash.ts), absent for accounts registered without a password.
//   Deactivated accounts keep their row so the user id is never reused.
// - `user_devices` (user, device) and `user_tokens` (token → user, device).
//   Access tokens are 32 random bytes (base64url) stored as they are: the
//   store lives with the user's own data (IndexedDB profile or --data dir),
//   where a hash would protect nothing the rows next to it don't already
//   give away, and a plain key keeps the per-request lookup one `get`.
//   A token expires only when it was issued with a refresh token.
// - `uia_sessions`: user-interactive auth sessions (uia.ts), bound to the
//   operation and the user they were started for.
// - `user_profiles`, `account_data` (room_id '' for global data) and
//   `presence` carry the global stream position (storage/stream.ts) of their
//   last change in `stream`, indexed so sync can ask "changed after N".
//   `user_devices.stream` does the same for device list changes.
// - `user_filters`: sync filters by (user, id); ids count up per user.
// - `push_rules`: one row per (user, kind) with the user's own rules in
//   priority order and their changes to the server-default rules (which
//   themselves live in code, default-push-rules.ts).
// - `pushers`: HTTP pushers as set by clients (stored; nothing is delivered).
// - `server_identity`: the server's ed25519 seed (identity.ts).
// - `openid_tokens`: short-lived OpenID tokens for widgets and integration
//   managers (openid.ts), indexed by expiry so expired ones are swept.
// - `refresh_tokens` (refresh-tokens.ts): a refresh token → the session's
//   device and the access token issued with it; an access token issued with
//   a refresh token expires (`user_tokens.expires_ts`). `login_tokens`
//   (login-tokens.ts): single-use `m.login.token` tokens, swept by expiry.
// - `server_settings`: what the owner sets for the whole server (the
//   popup's settings: access token lifetime, support contact), by name.
import type { TableSpec } from '../storage/port.ts';
import { table } from '../storage/table.ts';

export const USERS = 'users';
export const DEVICES = 'user_devices';
export const TOKENS = 'user_tokens';
export const UIA_SESSIONS = 'uia_sessions';
export const PROFILES = 'user_profiles';
export const ACCOUNT_DATA = 'account_data';
export const FILTERS = 'user_filters';
export const PUSH_RULES = 'push_rules';
export const PUSHERS = 'pushers';
export const PRESENCE = 'presence';
export const SERVER_IDENTITY = 'server_identity';
export const OPENID_TOKENS = 'openid_tokens';
export const REFRESH_TOKENS = 'refresh_tokens';
export const LOGIN_TOKENS = 'login_tokens';
export const SERVER_SETTINGS = 'server_settings';

export const accountTables: Record<string, TableSpec> = {
  [USERS]: { key: 'user_id' },
  [DEVICES]: { key: ['user_id', 'device_id'], indexes: { user: 'user_id', stream: 'stream' } },
  [TOKENS]: { key: 'token', indexes: { user: 'user_id', device: ['user_id', 'device_id'] } },
  [UIA_SESSIONS]: { key: 'session', indexes: { created: 'created_ts' } },
  [PROFILES]: { key: 'user_id', indexes: { stream: 'stream' } },
  [ACCOUNT_DATA]: { key: ['user_id', 'room_id', 'type'], indexes: { user_stream: ['user_id', 'stream'] } },
  [FILTERS]: { key: ['user_id', 'filter_id'], indexes: { user: 'user_id' } },
  [PUSH_RULES]: { key: ['user_id', 'kind'] },
  [PUSHERS]: {
    key: ['user_id', 'app_id', 'pushkey'],
    indexes: { user: 'user_id', app_pushkey: ['app_id', 'pushkey'] },
  },
  [PRESENCE]: { key: 'user_id', indexes: { stream: 'stream' } },
  [SERVER_IDENTITY]: { key: 'name' },
};

/** OpenID tokens (openid.ts), added in schema version 7. */
export const accountOpenIdTables: Record<string, TableSpec> = {
  [OPENID_TOKENS]: { key: 'token', indexes: { expires: 'expires_ts' } },
};

/** Refresh and login tokens and the owner's settings, added in schema version 8. */
export const accountTokenTables: Record<string, TableSpec> = {
  [REFRESH_TOKENS]: { key: 'token', indexes: { device: ['user_id', 'device_id'] } },
  [LOGIN_TOKENS]: { key: 'token', indexes: { expires: 'expires_ts', user: 'user_id' } },
  [SERVER_SETTINGS]: { key: 'name' },
};

/** Every table of the module: open transactions over these (plus the stream counter to write). */
export const accountTableNames: readonly string[] = Object.keys({
  ...accountTables,
  ...accountOpenIdTables,
  ...accountTokenTables,
});

export interface UserRow extends Record<string, unknown> {
  user_id: string;
  localpart: string;
  password_hash?: string;
  created_ts: number;
  deactivated: boolean;
}

export interface DeviceRow extends Record<string, unknown> {
  user_id: string;
  device_id: string;
  display_name?: string;
  created_ts: number;
  last_seen_ts?: number;
  stream: number;
}

export interface TokenRow extends Record<string, unknown> {
  token: string;
  user_id: string;
  device_id: string;
  created_ts: number;
  /** When it stops working (401 M_UNKNOWN_TOKEN, soft_logout); absent: never. Set with a refresh token. */
  expires_ts?: number;
  /** The refresh token this one replaced, revoked (with its access token) when this one is first used. */
  replaces?: string;
}

/** A refresh token (spec: "Refreshing access tokens"): trades for a new access and refresh token, once. */
export interface RefreshTokenRow extends Record<string, unknown> {
  token: string;
  user_id: string;
  device_id: string;
  /** The access token issued with it. */
  access_token: string;
  created_ts: number;
  /** The refresh token it replaced: revoked once this one or its access token is used. */
  replaces?: string;
  /** The refresh token issued for it, while not yet used (refreshing again revokes that one). */
  next?: string;
}

/** A single-use `m.login.token` token from /login/get_token. */
export interface LoginTokenRow extends Record<string, unknown> {
  token: string;
  user_id: string;
  expires_ts: number;
}

/** One setting of the owner's (server-settings.ts); `value` is checked when read. */
export interface ServerSettingRow extends Record<string, unknown> {
  name: string;
  value: unknown;
}

/** An OpenID token: proves to a third party, through federation's userinfo, who its user is. */
export interface OpenIdTokenRow extends Record<string, unknown> {
  token: string;
  user_id: string;
  expires_ts: number;
}

export interface UiaSessionRow extends Record<string, unknown> {
  session: string;
  /** What the session authorises, e.g. `register` or `delete_devices`. */
  purpose: string;
  /** The user the session was started for ('' when unauthenticated). */
  user_id: string;
  completed: string[];
  created_ts: number;
}

export interface ProfileRow extends Record<string, unknown> {
  user_id: string;
  displayname?: string;
  avatar_url?: string;
  /** Custom profile fields (spec v1.16 "Profiles"), by key: any JSON value. */
  fields?: Record<string, unknown>;
  stream: number;
}

export interface AccountDataRow extends Record<string, unknown> {
  user_id: string;
  /** '' for global account data. */
  room_id: string;
  type: string;
  content: Record<string, unknown>;
  stream: number;
}

export interface FilterRow extends Record<string, unknown> {
  user_id: string;
  filter_id: string;
  filter: Record<string, unknown>;
}

export type PushRuleKind = 'override' | 'content' | 'room' | 'sender' | 'underride';

/** A push rule as the spec shows it (definitions/push_rule.yaml). */
export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: unknown[];
  conditions?: Record<string, unknown>[];
  pattern?: string;
}

export interface PushRulesRow extends Record<string, unknown> {
  user_id: string;
  kind: PushRuleKind;
  /** The user's own rules of this kind, most important first. */
  rules: PushRule[];
  /** Changes to server-default rules of this kind, by rule id. */
  defaults: Record<string, { enabled?: boolean; actions?: unknown[] }>;
}

export interface PusherRow extends Record<string, unknown> {
  user_id: string;
  app_id: string;
  pushkey: string;
  /** The pusher as the client set it (kind, app_display_name, data...). */
  pusher: Record<string, unknown>;
}

export type PresenceState = 'online' | 'offline' | 'unavailable';

export interface PresenceRow extends Record<string, unknown> {
  user_id: string;
  presence: PresenceState;
  status_msg?: string;
  last_active_ts: number;
  stream: number;
}

export interface ServerIdentityRow extends Record<string, unknown> {
  name: 'ed25519';
  seed: Uint8Array;
}

// The tables with their row and key types (storage/table.ts): read and write through these.
export const usersTable = table<UserRow, string>(USERS);
export const devicesTable = table<DeviceRow, readonly [string, string]>(DEVICES);
export const tokensTable = table<TokenRow, string>(TOKENS);
export const openIdTokensTable = table<OpenIdTokenRow, string>(OPENID_TOKENS);
export const refreshTokensTable = table<RefreshTokenRow, string>(REFRESH_TOKENS);
export const loginTokensTable = table<LoginTokenRow, string>(LOGIN_TOKENS);
export const serverSettingsTable = table<ServerSettingRow, string>(SERVER_SETTINGS);
export const uiaSessionsTable = table<UiaSessionRow, string>(UIA_SESSIONS);
export const profilesTable = table<ProfileRow, string>(PROFILES);
export const accountDataTable = table<AccountDataRow, readonly [string, string, string]>(ACCOUNT_DATA);
export const filtersTable = table<FilterRow, readonly [string, string]>(FILTERS);
export const pushRulesTable = table<PushRulesRow, readonly [string, string]>(PUSH_RULES);
export const pushersTable = table<PusherRow, readonly [string, string, string]>(PUSHERS);
export const presenceTable = table<PresenceRow, string>(PRESENCE);
export const serverIdentityTable = table<ServerIdentityRow, string>(SERVER_IDENTITY);
