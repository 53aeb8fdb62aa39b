// The web origins the user approved to use the homeserver: kept in
// storage.local, and mirrored into two dynamically registered content scripts
// (the MAIN-world shim and its isolated-world bridge) that match exactly those
// origins. Nothing is injected anywhere else, and an unapproved page learns
// nothing: no script, no message, no changed global.
//
// An origin is approved only while the extension also holds the optional host
// permission for it (the popup asks the browser for it, with the user's click,
// before it sends approveOrigin); a permission the user takes back in the
// browser's settings revokes the approval (reconcile()).
//
// Creating accounts is a second, separate consent per approved site (off when
// a site is approved): a site the user approved to sign in with an account
// cannot mint accounts on this homeserver unless the user ticked that for it
// in the popup (issue 12, finding 5). The popup itself always may.
import { KeyedQueue, type Logger } from '../../src/core/public.ts';
import { ISOLATED_WORLD_SCRIPT, MAIN_WORLD_SCRIPT } from '../../src/platform/web/content-script-files.ts';
import { ext } from '../../src/platform/web/ext-api.ts';
import { matchPatternFor, normalizeOrigin } from '../../src/platform/web/origins.ts';

const STORAGE_KEY = 'approvedOrigins';
/** The approved origins the user also allowed to create accounts. */
const ACCOUNT_CREATION_KEY = 'accountCreationOrigins';
const SCRIPT_IDS = { main: 'p2pm-shim-main', isolated: 'p2pm-bridge-isolated' } as const;

/** The browser has not granted the host permission for the origin being approved. */
export class PermissionRequiredError extends Error {
  override readonly name = 'PermissionRequiredError';
}

export interface OriginApprovals {
  list(): Promise<string[]>;
  isApproved(origin: string): Promise<boolean>;
  /** Approves `origin` (normalised); needs the host permission already granted. */
  approve(origin: string): Promise<string[]>;
  /** Forgets `origin`, unregisters its scripts and gives its host permission back. */
  revoke(origin: string): Promise<string[]>;
  /** Drops approvals whose permission is gone and makes the registered scripts match the list. */
  reconcile(): Promise<void>;
  /** The approved origins allowed to create accounts. */
  accountCreation(): Promise<string[]>;
  /** Whether `origin` is approved and allowed to create accounts. */
  mayCreateAccounts(origin: string): Promise<boolean>;
  /** Allows or stops account creation from an approved `origin`; the origins allowed after. */
  setAccountCreation(origin: string, allowed: boolean): Promise<string[]>;
}

/** Account creation asked for a site that is not approved. */
export class NotApprovedError extends Error {
  override readonly name = 'NotApprovedError';
}

export function createOriginApprovals(logger: Logger): OriginApprovals {
  // storage.local has no transactions: changes run one after another.
  const queue = new KeyedQueue();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => queue.run(STORAGE_KEY, fn);

  const stringsAt = async (key: string): Promise<string[]> => {
    const stored = (await ext.storage.local.get(key))[key];
    return Array.isArray(stored) ? stored.filter((o): o is string => typeof o === 'string') : [];
  };
  const list = () => stringsAt(STORAGE_KEY);
  // Only approved origins count, whatever an older write left.
  const accountCreation = async () => {
    const approved = await list();
    return (await stringsAt(ACCOUNT_CREATION_KEY)).filter((o) => approved.includes(o));
  };
  const save = (origins: string[]) => ext.storage.local.set({ [STORAGE_KEY]: origins });
  const saveAccountCreation = (origins: string[]) =>
    ext.storage.local.set({ [ACCOUNT_CREATION_KEY]: origins });
  const permitted = (origin: string) => ext.permissions.contains({ origins: [matchPatternFor(origin)] });

  return {
    list,
    isApproved: async (origin) => (await list()).includes(origin),
    approve: (input) =>
      serial(async () => {
        const origin = normalizeOrigin(input);
        if (!(await permitted(origin))) {
          throw new PermissionRequiredError(`the browser has not granted access to ${origin}`);
        }
        const origins = await list();
        if (!origins.includes(origin)) origins.push(origin);
        await save(origins);
        await registerScripts(origins);
        logger.info('origin approved', { origin });
        return origins;
      }),
    revoke: (input) =>
      serial(async () => {
        const origin = normalizeOrigin(input);
        const origins = (await list()).filter((o) => o !== origin);
        await saveAccountCreation((await stringsAt(ACCOUNT_CREATION_KEY)).filter((o) => o !== origin));
        await save(origins);
        await registerScripts(origins);
        await ext.permissions.remove({ origins: [matchPatternFor(origin)] }).catch((err: unknown) => {
          logger.warn('could not give back the host permission', { origin, error: String(err) });
        });
        logger.info('origin revoked', { origin });
        return origins;
      }),
    reconcile: () =>
      serial(async () => {
        const origins = await list();
        const kept: string[] = [];
        // An approval the rules no longer allow (plain http away from loopback, from an older version) is dropped.
        for (const origin of origins) if (approvable(origin) && (await permitted(origin))) kept.push(origin);
        if (kept.length !== origins.length) await save(kept);
        const creating = await stringsAt(ACCOUNT_CREATION_KEY);
        if (creating.some((o) => !kept.includes(o)))
          await saveAccountCreation(creating.filter((o) => kept.includes(o)));
        await registerScripts(kept);
      }),
    accountCreation,
    mayCreateAccounts: async (origin) => (await accountCreation()).includes(origin),
    setAccountCreation: (input, allowed) =>
      serial(async () => {
        const origin = normalizeOrigin(input);
        if (!(await list()).includes(origin)) throw new NotApprovedError(`${origin} is not an approved site`);
        const others = (await accountCreation()).filter((o) => o !== origin);
        const next = allowed ? [...others, origin] : others;
        await saveAccountCreation(next);
        logger.info(allowed ? 'account creation allowed' : 'account creation stopped', { origin });
        return next;
      }),
  };
}

function approvable(origin: string): boolean {
  try {
    return normalizeOrigin(origin) === origin;
  } catch {
    return false;
  }
}

/**
 * Makes the two registered content scripts match `origins` exactly (none at
 * all when the list is empty). Both run at document_start in the top frame
 * only, so the shim is in place before any page script runs.
 */
async function registerScripts(origins: readonly string[]): Promise<void> {
  const matches = origins.map(matchPatternFor).sort();
  const ids = [SCRIPT_IDS.main, SCRIPT_IDS.isolated];
  const current = await ext.scripting.getRegisteredContentScripts({ ids });
  const upToDate =
    current.length === ids.length &&
    current.every((script) => JSON.stringify([...(script.matches ?? [])].sort()) === JSON.stringify(matches));
  if (upToDate && matches.length > 0) return;
  if (current.length > 0) await ext.scripting.unregisterContentScripts({ ids: current.map((s) => s.id) });
  if (matches.length === 0) return;
  const common = { matches, runAt: 'document_start', allFrames: false, persistAcrossSessions: true } as const;
  await ext.scripting.registerContentScripts([
    { ...common, id: SCRIPT_IDS.main, js: [MAIN_WORLD_SCRIPT], world: 'MAIN' },
    { ...common, id: SCRIPT_IDS.isolated, js: [ISOLATED_WORLD_SCRIPT], world: 'ISOLATED' },
  ]);
}
