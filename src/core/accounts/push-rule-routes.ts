// Push rules (spec: "Push Rules: API"). matrix-js-sdk retries GET /pushrules/
// forever when it fails, so it always answers, with at least the defaults.
import { badJson, invalidParam } from '../errors.ts';
import {
  isJsonObject,
  jsonObjectBody,
  type JsonRecord,
  optionalArray,
  requireArray,
  requireBoolean,
  requireString,
} from '../http/json-body.ts';
import { requireRoomId, requireUserId } from '../http/matrix-ids.ts';
import { queryParam } from '../http/query.ts';
import type { HandlerResult, RequestContext, Route } from '../http/route.ts';
import type { WriteTx } from '../storage/port.ts';
import type { AccountDeps } from './deps.ts';
import {
  deletePushRule,
  getPushRule,
  PUSH_RULE_KINDS,
  PUSH_RULE_TABLES,
  pushRulesFor,
  putPushRule,
  type RuleBody,
  updatePushRule,
} from './push-rules.ts';
import { callerOf, param, V3 } from './route-helpers.ts';
import { PUSH_RULES, type PushRule, type PushRuleKind } from './tables.ts';

const RULE = `${V3}/pushrules/{scope}/{kind}/{ruleId}`;
const ACTIONS = ['notify', 'dont_notify', 'coalesce'];

export function pushRuleRoutes(deps: AccountDeps): Route[] {
  const all = (ctx: RequestContext) =>
    deps.store.read([PUSH_RULES], (tx) => pushRulesFor(tx, callerOf(ctx).userId));
  return [
    {
      method: 'GET',
      path: `${V3}/pushrules/`,
      auth: 'required',
      handler: async (ctx) => ({ body: { global: await all(ctx) } }),
    },
    {
      method: 'GET',
      path: `${V3}/pushrules/global/`,
      auth: 'required',
      handler: async (ctx) => ({ body: await all(ctx) }),
    },
    {
      method: 'GET',
      path: RULE,
      auth: 'required',
      handler: async (ctx) => ({ body: await ruleOf(deps, ctx) }),
    },
    { method: 'PUT', path: RULE, auth: 'required', handler: (ctx) => putRule(deps, ctx) },
    {
      method: 'DELETE',
      path: RULE,
      auth: 'required',
      handler: (ctx) =>
        change(deps, ctx, (tx, userId, kind, ruleId) => deletePushRule(tx, userId, kind, ruleId)),
    },
    ...attributeRoutes(deps, 'enabled', (body) => requireBoolean(body, 'enabled')),
    ...attributeRoutes(deps, 'actions', readActions),
  ];
}

/** GET and PUT of one attribute of a rule: `{RULE}/enabled` and `{RULE}/actions`. */
function attributeRoutes<K extends 'enabled' | 'actions'>(
  deps: AccountDeps,
  key: K,
  read: (body: JsonRecord) => PushRule[K],
): Route[] {
  const path = `${RULE}/${key}`;
  return [
    {
      method: 'GET',
      path,
      auth: 'required',
      handler: async (ctx) => ({ body: { [key]: (await ruleOf(deps, ctx))[key] } }),
    },
    {
      method: 'PUT',
      path,
      auth: 'required',
      handler(ctx) {
        const value = read(jsonObjectBody(ctx.req));
        return change(deps, ctx, (tx, userId, kind, ruleId) =>
          updatePushRule(tx, userId, kind, ruleId, { [key]: value }),
        );
      },
    },
  ];
}

/** Scope, kind and rule id from the path: only the `global` scope exists. */
function target(ctx: RequestContext) {
  if (param(ctx, 'scope') !== 'global') throw invalidParam('The only push rule scope is global');
  const kind = param(ctx, 'kind') as PushRuleKind;
  if (!PUSH_RULE_KINDS.includes(kind)) throw invalidParam(`Unknown push rule kind ${kind}`);
  return { userId: callerOf(ctx).userId, kind, ruleId: param(ctx, 'ruleId') };
}

async function ruleOf(deps: AccountDeps, ctx: RequestContext): Promise<PushRule> {
  const { userId, kind, ruleId } = target(ctx);
  return deps.store.read([PUSH_RULES], (tx) => getPushRule(tx, userId, kind, ruleId));
}

type Change = (tx: WriteTx, userId: string, kind: PushRuleKind, ruleId: string) => Promise<void>;

async function change(deps: AccountDeps, ctx: RequestContext, fn: Change): Promise<HandlerResult> {
  const { userId, kind, ruleId } = target(ctx);
  await deps.store.write(PUSH_RULE_TABLES, (tx) => fn(tx, userId, kind, ruleId));
  deps.notifier.notify({ users: [userId] });
  return { body: {} };
}

/** PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId} */
async function putRule(deps: AccountDeps, ctx: RequestContext): Promise<HandlerResult> {
  const { kind, ruleId } = target(ctx);
  // Spec: ids starting with `.` belong to server-default rules; `/` and `\` are not allowed.
  if (ruleId === '' || ruleId.startsWith('.') || /[/\\]/.test(ruleId)) {
    throw invalidParam(`Invalid rule id ${JSON.stringify(ruleId)}`);
  }
  if (kind === 'room') requireRoomId(ruleId);
  if (kind === 'sender') requireUserId(ruleId);
  const body = readRule(kind, ruleId, jsonObjectBody(ctx.req));
  const before = queryParam(ctx.req, 'before');
  const after = queryParam(ctx.req, 'after');
  const position = { ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) };
  return change(deps, ctx, (tx, userId) => putPushRule(tx, userId, kind, ruleId, body, position));
}

/** The stored rule; room and sender rules get the condition their id stands for (shown without it). */
function readRule(kind: PushRuleKind, ruleId: string, body: JsonRecord): RuleBody {
  const actions = readActions(body);
  if (kind === 'content') return { actions, pattern: requireString(body, 'pattern') };
  if (kind === 'room')
    return { actions, conditions: [{ kind: 'event_match', key: 'room_id', pattern: ruleId }] };
  if (kind === 'sender')
    return { actions, conditions: [{ kind: 'event_match', key: 'sender', pattern: ruleId }] };
  const conditions = optionalArray(body, 'conditions') ?? [];
  for (const condition of conditions) {
    if (!isJsonObject(condition) || typeof condition.kind !== 'string') {
      throw badJson('Each condition must be an object with a kind');
    }
  }
  return { actions, conditions: conditions as JsonRecord[] };
}

/** Actions: `notify` (and the deprecated `dont_notify`, `coalesce`) or `{set_tweak, value?}` objects. */
function readActions(body: JsonRecord): unknown[] {
  const actions = requireArray(body, 'actions');
  for (const action of actions) {
    const ok =
      (typeof action === 'string' && ACTIONS.includes(action)) ||
      (isJsonObject(action) && typeof action.set_tweak === 'string');
    if (!ok) throw invalidParam(`Invalid push rule action ${JSON.stringify(action)}`);
  }
  return actions;
}
