// Account data, global and per room (spec: "Client Config"). Types the server
// maintains itself (m.push_rules through /pushrules, m.fully_read through
// /read_markers) cannot be written here: 405 M_BAD_JSON, as the spec says.
import { invalidParam, MatrixError, notFound } from '../errors.ts';
import { jsonObjectBody } from '../http/json-body.ts';
import { requireRoomId, requireUserId } from '../http/matrix-ids.ts';
import type { HandlerResult, RequestContext, Route } from '../http/route.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import { getAccountData, SERVER_MANAGED_TYPES, setAccountData } from './account-data.ts';
import type { AccountDeps } from './deps.ts';
import { pushRulesFor } from './push-rules.ts';
import { param, requireSelf, V3 } from './route-helpers.ts';
import { ACCOUNT_DATA, PUSH_RULES } from './tables.ts';

export function accountDataRoutes(deps: AccountDeps): Route[] {
  const global = `${V3}/user/{userId}/account_data/{type}`;
  const room = `${V3}/user/{userId}/rooms/{roomId}/account_data/{type}`;
  return [
    { method: 'GET', path: global, auth: 'required', handler: (ctx) => read(deps, ctx, false) },
    { method: 'PUT', path: global, auth: 'required', handler: (ctx) => write(deps, ctx, false) },
    { method: 'GET', path: room, auth: 'required', handler: (ctx) => read(deps, ctx, true) },
    { method: 'PUT', path: room, auth: 'required', handler: (ctx) => write(deps, ctx, true) },
  ];
}

/** The user, room ('' for global) and type of the request, checked. */
function target(ctx: RequestContext, inRoom: boolean, what: string) {
  const userId = requireUserId(param(ctx, 'userId'));
  requireSelf(ctx, userId, `${what} account data`);
  const roomId = inRoom ? requireRoomId(param(ctx, 'roomId')) : '';
  const type = param(ctx, 'type');
  if (type === '') throw invalidParam('The account data type may not be empty');
  return { userId, roomId, type };
}

async function read(deps: AccountDeps, ctx: RequestContext, inRoom: boolean): Promise<HandlerResult> {
  const { userId, roomId, type } = target(ctx, inRoom, 'read');
  const content = await deps.store.read([ACCOUNT_DATA, PUSH_RULES], async (tx) => {
    if (roomId === '' && type === 'm.push_rules') return { global: await pushRulesFor(tx, userId) };
    return getAccountData(tx, userId, roomId, type);
  });
  if (!content) throw notFound('Account data not found');
  return { body: content };
}

async function write(deps: AccountDeps, ctx: RequestContext, inRoom: boolean): Promise<HandlerResult> {
  const { userId, roomId, type } = target(ctx, inRoom, 'add');
  if (SERVER_MANAGED_TYPES.includes(type))
    throw new MatrixError(405, 'M_BAD_JSON', `Cannot set ${type} through this API`);
  const content = jsonObjectBody(ctx.req);
  await deps.store.write([ACCOUNT_DATA, STREAM_TABLE], (tx) =>
    setAccountData(tx, userId, roomId, type, content),
  );
  deps.notifier.notify({ users: [userId] });
  return { body: {} };
}
