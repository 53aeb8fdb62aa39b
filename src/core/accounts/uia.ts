// User-interactive authentication (spec: "User-Interactive Authentication
// API"). An endpoint states its flows; the client first gets a 401 with the
// flows and a session, then completes stages by resending the request with
// an `auth` dict. Sessions are stored (they must survive a service-worker
// restart between two requests) and are bound to the operation and user they
// were started for.
import { badJson, forbidden, MatrixError, unknown } from '../errors.ts';
import { errorBody } from '../http/respond.ts';
import { isJsonObject, type JsonRecord, optionalString } from '../http/json-body.ts';
import type { HandlerResult } from '../http/route.ts';
import type { Clock, Pbkdf2Sha256 } from '../ports.ts';
import type { Store } from '../storage/port.ts';
import { verifyPassword } from './password-hash.ts';
import { newSessionId } from './random-ids.ts';
import { UIA_SESSIONS, type UiaSessionRow, uiaSessionsTable } from './tables.ts';
import { readUser, userIdFromIdentifier } from './users.ts';

export type UiaStage = 'm.login.dummy' | 'm.login.password' | 'm.login.registration_token';

/** Sessions older than this are forgotten (a human completes a flow well within it). */
export const UIA_SESSION_TTL_MS = 30 * 60_000;

export interface UiaDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly randomBytes: (n: number) => Uint8Array;
  readonly pbkdf2: Pbkdf2Sha256;
  readonly serverName: string;
}

export interface UiaRequest {
  /** The operation, e.g. `register` or `delete_devices`: a session cannot switch operations. */
  readonly purpose: string;
  readonly flows: readonly (readonly UiaStage[])[];
  /** The user who must authenticate; absent when m.login.password itself names the user. */
  readonly userId?: string;
  /** The secret m.login.registration_token checks against. */
  readonly registrationToken?: string;
}

/** Either the request may proceed (as `userId` when a password stage named the user) or its 401 answer. */
export type UiaOutcome =
  | { readonly done: true; readonly userId?: string }
  | { readonly done: false; readonly response: HandlerResult };

/** Runs one step of user-interactive auth for a request body (numbered steps follow the spec's flow). */
export async function userInteractiveAuth(
  deps: UiaDeps,
  request: UiaRequest,
  body: JsonRecord,
): Promise<UiaOutcome> {
  // 1. A request without `auth` starts a session and learns the flows.
  if (body.auth === undefined || body.auth === null) {
    return { done: false, response: challenge(request, await createSession(deps, request)) };
  }
  if (!isJsonObject(body.auth)) throw badJson('auth must be an object');
  const auth = body.auth;
  // 2. Find the session named in `auth` (or start one), bound to this operation and user.
  const session = await sessionFor(deps, request, optionalString(auth, 'session'));
  // 3. Without a `type` the client only asks where the session stands.
  const type = optionalString(auth, 'type');
  if (type === undefined) return { done: false, response: challenge(request, session) };
  // 4. The stage must be the next one of some flow, then its credentials must hold.
  if (!nextStages(request, session.completed).has(type)) {
    throw new MatrixError(400, 'M_UNRECOGNIZED', `Authentication stage ${type} is not offered here`);
  }
  const failure = await checkStage(deps, request, session, type as UiaStage, auth);
  if (failure) return { done: false, response: challenge(request, session, failure) };
  // 5. Record the stage; a finished flow ends the session and lets the request proceed.
  session.completed = [...session.completed, type];
  if (request.flows.some((flow) => flow.every((stage) => session.completed.includes(stage)))) {
    await deps.store.write([UIA_SESSIONS], (tx) => uiaSessionsTable.delete(tx, session.session));
    return session.user_id === '' ? { done: true } : { done: true, userId: session.user_id };
  }
  await deps.store.write([UIA_SESSIONS], (tx) => uiaSessionsTable.put(tx, session));
  return { done: false, response: challenge(request, session) };
}

function challenge(request: UiaRequest, session: UiaSessionRow, error?: string): HandlerResult {
  const body: Record<string, unknown> = {
    flows: request.flows.map((stages) => ({ stages })),
    params: {},
    session: session.session,
  };
  if (session.completed.length > 0) body.completed = session.completed;
  // Spec "User-interactive authentication API": a failed stage adds the error's fields to the flows.
  if (error !== undefined) Object.assign(body, errorBody(forbidden(error)));
  return { status: 401, body };
}

async function createSession(deps: UiaDeps, request: UiaRequest): Promise<UiaSessionRow> {
  const now = deps.clock.now();
  const row: UiaSessionRow = {
    session: newSessionId(deps.randomBytes),
    purpose: request.purpose,
    user_id: request.userId ?? '',
    completed: [],
    created_ts: now,
  };
  await deps.store.write([UIA_SESSIONS], async (tx) => {
    await uiaSessionsTable.deleteWhere(tx, { index: 'created', range: { upper: now - UIA_SESSION_TTL_MS } });
    await uiaSessionsTable.put(tx, row);
  });
  return row;
}

async function sessionFor(
  deps: UiaDeps,
  request: UiaRequest,
  id: string | undefined,
): Promise<UiaSessionRow> {
  if (id === undefined) return createSession(deps, request);
  const row = await deps.store.read([UIA_SESSIONS], (tx) => uiaSessionsTable.get(tx, id));
  if (!row || row.created_ts < deps.clock.now() - UIA_SESSION_TTL_MS)
    throw unknown('Unknown or expired session');
  if (row.purpose !== request.purpose || (request.userId !== undefined && row.user_id !== request.userId)) {
    throw forbidden('Requested operation has changed during the UI authentication session');
  }
  return row;
}

/** The stages that may come next: the first stage not yet done of every flow that fits what was done. */
function nextStages(request: UiaRequest, completed: readonly string[]): Set<string> {
  const next = new Set<string>();
  for (const flow of request.flows) {
    if (completed.every((stage, i) => flow[i] === stage) && flow.length > completed.length) {
      next.add(flow[completed.length]!);
    }
  }
  return next;
}

/** Why the stage failed, or undefined when it passed (a password stage records the user it named). */
async function checkStage(
  deps: UiaDeps,
  request: UiaRequest,
  session: UiaSessionRow,
  type: UiaStage,
  auth: JsonRecord,
): Promise<string | undefined> {
  switch (type) {
    case 'm.login.dummy':
      return undefined;
    case 'm.login.registration_token': {
      const token = optionalString(auth, 'token');
      const valid = request.registrationToken !== undefined && token === request.registrationToken;
      return valid ? undefined : 'Invalid registration token';
    }
    case 'm.login.password': {
      const userId = userIdFromIdentifier(auth, deps.serverName);
      if (session.user_id !== '' && userId !== session.user_id) return 'Wrong user for this operation';
      const password = optionalString(auth, 'password');
      const user = await readUser(deps.store, userId);
      const ok = password !== undefined && user?.password_hash !== undefined && !user.deactivated;
      if (!ok || !(await verifyPassword(deps.pbkdf2, password, user.password_hash!)))
        return 'Invalid username or password';
      session.user_id = userId;
      return undefined;
    }
  }
}
