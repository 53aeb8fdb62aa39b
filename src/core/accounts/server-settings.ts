// What the owner sets for the whole server (the extension's popup, through
// Homeserver.settings): how long an access token issued with a refresh token
// lives, and whom to contact (GET /.well-known/matrix/support). Kept in the
// homeserver's own store, so they survive restarts in the extension and in
// `serve --data` alike. Every write is checked; a stored value that no longer
// passes the checks reads as the default.
import { invalidParam } from '../errors.ts';
import { isValidUserId } from '../http/matrix-ids.ts';
import type { ReadTx, Store } from '../storage/port.ts';
import { SERVER_SETTINGS, serverSettingsTable } from './tables.ts';

/** Spec "Server Discovery", support information: one contact. */
export interface SupportContact {
  readonly role: 'm.role.admin' | 'm.role.security';
  readonly matrix_id?: string;
  readonly email_address?: string;
}

/** The body of GET /.well-known/matrix/support: at least a contact or a page. */
export interface SupportInfo {
  readonly contacts?: readonly SupportContact[];
  readonly support_page?: string;
}

export interface OwnerSettings {
  /** Lifetime of an access token issued with a refresh token. */
  readonly accessTokenLifetimeMs: number;
  /** Absent: the server publishes no support contact (the spec's 404). */
  readonly support?: SupportInfo;
}

/** Synapse's default for refreshable access tokens. */
export const DEFAULT_ACCESS_TOKEN_LIFETIME_MS = 5 * 60_000;
/** Shorter would have clients refreshing more than they talk; longer defeats expiry. */
export const MIN_ACCESS_TOKEN_LIFETIME_MS = 60_000;
export const MAX_ACCESS_TOKEN_LIFETIME_MS = 7 * 24 * 3_600_000;

const MAX_CONTACTS = 10;
const MAX_TEXT = 320;

export const DEFAULT_OWNER_SETTINGS: OwnerSettings = {
  accessTokenLifetimeMs: DEFAULT_ACCESS_TOKEN_LIFETIME_MS,
};

/** Reads and writes the owner's settings (Homeserver.settings, the popup's Settings tab). */
export interface OwnerSettingsView {
  get(): Promise<OwnerSettings>;
  /** Replaces the given fields (each checked: 400 M_INVALID_PARAM) and returns the settings now in force. */
  update(change: OwnerSettingsChange): Promise<OwnerSettings>;
}

/** `support: null` removes the support information. */
export interface OwnerSettingsChange {
  readonly accessTokenLifetimeMs?: number;
  readonly support?: SupportInfo | null;
}

export async function readOwnerSettings(tx: ReadTx): Promise<OwnerSettings> {
  const rows = await serverSettingsTable.query(tx);
  const byName = new Map(rows.map((row) => [row.name, row.value]));
  const lifetime = byName.get('access_token_lifetime_ms');
  const support = byName.has('support') ? checkedSupport(byName.get('support')) : undefined;
  return {
    accessTokenLifetimeMs: isLifetime(lifetime) ? lifetime : DEFAULT_ACCESS_TOKEN_LIFETIME_MS,
    ...(support ? { support } : {}),
  };
}

export function ownerSettingsView(store: Store): OwnerSettingsView {
  return {
    get: () => store.read([SERVER_SETTINGS], readOwnerSettings),
    async update(change) {
      if (change.accessTokenLifetimeMs !== undefined && !isLifetime(change.accessTokenLifetimeMs)) {
        throw invalidParam(
          `The lifetime must be whole milliseconds from ${MIN_ACCESS_TOKEN_LIFETIME_MS} to ${MAX_ACCESS_TOKEN_LIFETIME_MS}`,
        );
      }
      const support =
        change.support === undefined || change.support === null
          ? change.support
          : checkSupport(change.support);
      return store.write([SERVER_SETTINGS], async (tx) => {
        if (change.accessTokenLifetimeMs !== undefined)
          await serverSettingsTable.put(tx, {
            name: 'access_token_lifetime_ms',
            value: change.accessTokenLifetimeMs,
          });
        if (support === null) await serverSettingsTable.delete(tx, 'support');
        else if (support !== undefined)
          await serverSettingsTable.put(tx, { name: 'support', value: support });
        return readOwnerSettings(tx);
      });
    },
  };
}

function isLifetime(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= MIN_ACCESS_TOKEN_LIFETIME_MS &&
    value <= MAX_ACCESS_TOKEN_LIFETIME_MS
  );
}

function checkedSupport(value: unknown): SupportInfo | undefined {
  try {
    return checkSupport(value);
  } catch {
    return undefined;
  }
}

/** The support information as the spec shapes it, or 400 M_INVALID_PARAM saying what is wrong. */
export function checkSupport(value: unknown): SupportInfo {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidParam('support must be an object');
  const { contacts, support_page: page } = value as Record<string, unknown>;
  const out: { contacts?: SupportContact[]; support_page?: string } = {};
  if (contacts !== undefined) {
    if (!Array.isArray(contacts) || contacts.length > MAX_CONTACTS)
      throw invalidParam(`contacts must be a list of at most ${MAX_CONTACTS}`);
    out.contacts = contacts.map(checkContact);
  }
  if (page !== undefined) {
    if (typeof page !== 'string' || page.length > MAX_TEXT || !/^https?:\/\/[^\s]+$/.test(page))
      throw invalidParam('support_page must be an http or https URL');
    out.support_page = page;
  }
  if (!out.contacts?.length && out.support_page === undefined)
    throw invalidParam('Give at least one contact or a support page');
  return out;
}

function checkContact(value: unknown): SupportContact {
  if (typeof value !== 'object' || value === null) throw invalidParam('A contact must be an object');
  const { role, matrix_id: matrixId, email_address: email } = value as Record<string, unknown>;
  if (role !== 'm.role.admin' && role !== 'm.role.security')
    throw invalidParam('A contact role is m.role.admin or m.role.security');
  if (matrixId !== undefined && (typeof matrixId !== 'string' || !isValidUserId(matrixId)))
    throw invalidParam('matrix_id must be a user ID');
  if (
    email !== undefined &&
    (typeof email !== 'string' || email.length > MAX_TEXT || !/^[^\s@]+@[^\s@]+$/.test(email))
  )
    throw invalidParam('email_address must be an email address');
  if (matrixId === undefined && email === undefined)
    throw invalidParam('A contact needs a matrix_id or an email_address');
  return {
    role,
    ...(matrixId !== undefined ? { matrix_id: matrixId as string } : {}),
    ...(email !== undefined ? { email_address: email as string } : {}),
  };
}
