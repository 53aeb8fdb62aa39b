// Push rules of a user (spec: "Push Rules"): the server-default rules from
// default-push-rules.ts with the user's changes to them, and the user's own
// rules, which rank above the defaults of their kind except `.m.rule.master`,
// which always comes first. Every change also touches the `m.push_rules`
// account data so the next /sync carries the new rule set.
import { notFound, unknown } from '../errors.ts';
import { parseId } from '../http/matrix-ids.ts';
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import { setAccountData } from './account-data.ts';
import { defaultPushRules } from './default-push-rules.ts';
import {
  ACCOUNT_DATA,
  PUSH_RULES,
  type PushRule,
  type PushRuleKind,
  type PushRulesRow,
  pushRulesTable,
} from './tables.ts';

export const PUSH_RULE_KINDS: readonly PushRuleKind[] = [
  'override',
  'content',
  'room',
  'sender',
  'underride',
];

/** Tables a transaction that changes push rules must cover. */
export const PUSH_RULE_TABLES: readonly string[] = [PUSH_RULES, ACCOUNT_DATA, STREAM_TABLE];

export type PushRuleSet = Record<PushRuleKind, PushRule[]>;

/** What a client may set on its own rule (conditions for override/underride, pattern for content). */
export interface RuleBody {
  readonly actions: unknown[];
  readonly conditions?: Record<string, unknown>[];
  readonly pattern?: string;
}

async function loadRow(tx: ReadTx, userId: string, kind: PushRuleKind): Promise<PushRulesRow> {
  return (
    (await pushRulesTable.get(tx, [userId, kind])) ?? {
      user_id: userId,
      kind,
      rules: [],
      defaults: {},
    }
  );
}

async function saveRow(tx: WriteTx, row: PushRulesRow): Promise<void> {
  await pushRulesTable.put(tx, row);
  await setAccountData(tx, row.user_id, '', 'm.push_rules', {});
}

function defaultsOf(userId: string, kind: PushRuleKind, row: PushRulesRow): PushRule[] {
  return defaultPushRules(userId, parseId(userId).localpart)[kind].map((rule) => ({
    ...rule,
    ...row.defaults[rule.rule_id],
  }));
}

/** The user's rules of one kind in priority order. */
async function rulesOfKind(tx: ReadTx, userId: string, kind: PushRuleKind): Promise<PushRule[]> {
  const row = await loadRow(tx, userId, kind);
  const defaults = defaultsOf(userId, kind, row);
  if (kind !== 'override') return [...row.rules, ...defaults];
  const [master, ...rest] = defaults;
  return [master!, ...row.rules, ...rest];
}

/** Room and sender rules are shown without conditions: their rule id is the condition. */
function shown(kind: PushRuleKind, rule: PushRule): PushRule {
  if (kind !== 'room' && kind !== 'sender') return rule;
  const { conditions: _, ...rest } = rule;
  return rest;
}

/** The whole `global` rule set, as GET /pushrules/global/ and the m.push_rules account data show it. */
export async function pushRulesFor(tx: ReadTx, userId: string): Promise<PushRuleSet> {
  const set = {} as PushRuleSet;
  for (const kind of PUSH_RULE_KINDS)
    set[kind] = (await rulesOfKind(tx, userId, kind)).map((r) => shown(kind, r));
  return set;
}

export async function getPushRule(
  tx: ReadTx,
  userId: string,
  kind: PushRuleKind,
  ruleId: string,
): Promise<PushRule> {
  const rule = (await rulesOfKind(tx, userId, kind)).find((r) => r.rule_id === ruleId);
  if (!rule) throw notFound('The push rule was not found');
  return shown(kind, rule);
}

/**
 * Adds or replaces one of the user's own rules (spec: PUT /pushrules/...).
 * A new rule without `before`/`after` becomes the most important of its kind;
 * an updated one keeps its place and enabled state unless moved.
 */
export async function putPushRule(
  tx: WriteTx,
  userId: string,
  kind: PushRuleKind,
  ruleId: string,
  body: RuleBody,
  position: { before?: string; after?: string },
): Promise<void> {
  const row = await loadRow(tx, userId, kind);
  const index = row.rules.findIndex((r) => r.rule_id === ruleId);
  const rule: PushRule = {
    rule_id: ruleId,
    default: false,
    enabled: index < 0 || row.rules[index]!.enabled,
    ...body,
  };
  const rules = row.rules.filter((r) => r.rule_id !== ruleId);
  const anchor = position.before ?? position.after;
  if (anchor !== undefined) {
    const at = rules.findIndex((r) => r.rule_id === anchor);
    if (at < 0) throw unknown(`before/after rule not found: ${anchor}`);
    rules.splice(position.before !== undefined ? at : at + 1, 0, rule);
  } else if (index >= 0) {
    rules.splice(index, 0, rule);
  } else {
    rules.unshift(rule);
  }
  await saveRow(tx, { ...row, rules });
}

/** Deletes one of the user's own rules; server-default rules cannot be deleted. */
export async function deletePushRule(
  tx: WriteTx,
  userId: string,
  kind: PushRuleKind,
  ruleId: string,
): Promise<void> {
  const row = await loadRow(tx, userId, kind);
  const rules = row.rules.filter((r) => r.rule_id !== ruleId);
  if (rules.length === row.rules.length) {
    if (ruleId.startsWith('.')) throw unknown('Server-default rules cannot be deleted');
    throw notFound('The push rule was not found');
  }
  await saveRow(tx, { ...row, rules });
}

/** Changes `enabled` or `actions` of any rule, the server-default ones included. */
export async function updatePushRule(
  tx: WriteTx,
  userId: string,
  kind: PushRuleKind,
  ruleId: string,
  change: { enabled?: boolean; actions?: unknown[] },
): Promise<void> {
  const row = await loadRow(tx, userId, kind);
  const own = row.rules.findIndex((r) => r.rule_id === ruleId);
  if (own >= 0) {
    const rules = [...row.rules];
    rules[own] = { ...rules[own]!, ...change };
    return saveRow(tx, { ...row, rules });
  }
  if (!defaultsOf(userId, kind, row).some((r) => r.rule_id === ruleId))
    throw notFound('The push rule was not found');
  const defaults = { ...row.defaults, [ruleId]: { ...row.defaults[ruleId], ...change } };
  await saveRow(tx, { ...row, defaults });
}
