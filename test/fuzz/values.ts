// Hostile values for every slot of a request: strings that break parsers and
// identifiers (empty, huge, control characters, lone surrogates, percent and
// sigil games), numbers at and past canonical JSON's limits, wrong types, and
// JSON nested near and past the depth limit. `near` values are shaped like a
// real field (a known id, a plausible key) so that checks past the first
// validation run too.
import type { Rng } from './rng.ts';

// biome-ignore lint/suspicious/noExplicitAny: generated JSON of any shape.
export type Json = any;

const STRINGS = [
  '',
  ' ',
  'a',
  '\u0000',
  '\u0000\u0001\u001f',
  '\ud800',
  '\udfff\ud800',
  '💥'.repeat(3),
  '\u202e',
  '%',
  '%00',
  '%zz',
  '%2F',
  '../..',
  '/',
  '\\',
  ':',
  '@',
  '!',
  '$',
  '#',
  '+',
  '@:',
  '!:',
  '#:',
  '$:',
  '@a:',
  '@:b',
  '@A:b',
  '@a b:c',
  '!a:b:c',
  '#a:b',
  '$a:b',
  'mxc://',
  'mxc://a',
  'mxc://a/b',
  'mxc://a/../b',
  'null',
  'true',
  '{}',
  '[]',
  '0',
  '-1',
  '1e400',
  'NaN',
  'Infinity',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'm.room.member',
  'm.room.create',
  'm.room.power_levels',
  'm.login.password',
  'm.login.dummy',
  'm.id.user',
  'join',
  'invite',
  'leave',
  'ban',
  'knock',
  'public',
  'private',
  'b',
  'f',
];

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  2 ** 31,
  -(2 ** 31),
  2 ** 32,
  2 ** 53 - 1,
  -(2 ** 53 - 1),
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53) - 2,
  1e21,
  1e308,
  -1e308,
  5e-324,
  100,
  1000,
  65536,
];

const KEYS = [
  'body',
  'msgtype',
  'type',
  'content',
  'state_key',
  'username',
  'password',
  'new_password',
  'auth',
  'session',
  'device_id',
  'initial_device_display_name',
  'inhibit_login',
  'refresh_token',
  'displayname',
  'avatar_url',
  'room_alias_name',
  'name',
  'topic',
  'invite',
  'invite_3pid',
  'preset',
  'visibility',
  'creation_content',
  'initial_state',
  'room_version',
  'power_level_content_override',
  'is_direct',
  'user_id',
  'user',
  'reason',
  'membership',
  'room_id',
  'event_id',
  'filter',
  'room',
  'timeline',
  'limit',
  'not_senders',
  'rooms',
  'one_time_keys',
  'device_keys',
  'fallback_keys',
  'keys',
  'algorithms',
  'signatures',
  'messages',
  'identifier',
  'medium',
  'address',
  'token',
  'presence',
  'status_msg',
  'timeout',
  'typing',
  'tags',
  'order',
  'm.relates_to',
  'rel_type',
  'm.new_content',
  'score',
  'search_term',
  'search_categories',
  'order_by',
  'event_context',
  'new_version',
  'algorithm',
  'auth_data',
  'version',
  'sessions',
  'mxc',
  'url',
  'via',
  'server_name',
  'server',
  'since',
  'from',
  'to',
  'dir',
  'include_all_networks',
  'third_party_instance_id',
  'erase',
  'logout_devices',
  'devices',
  'id_server',
  'sid',
  'client_secret',
  'pushkey',
  'kind',
  'app_id',
  'data',
  'actions',
  'conditions',
  'pattern',
  'enabled',
  'm.read',
  'm.fully_read',
  'm.read.private',
  'thread_id',
  'master_key',
  'self_signing_key',
  'user_signing_key',
  'usage',
  '__proto__',
  '',
];

export interface Context {
  /** Values that exist on the server under test (room ids, user ids, event ids...), by kind. */
  readonly known: Readonly<Record<string, readonly string[]>>;
}

export function hostileString(rng: Rng): string {
  switch (rng.int(0, 7)) {
    case 0:
      return 'x'.repeat(rng.pick([255, 256, 1024, 65_536, 70_000]));
    case 1:
      return Array.from({ length: rng.int(1, 40) }, () => String.fromCharCode(rng.int(0, 0xffff))).join('');
    case 2:
      return rng.pick(STRINGS) + rng.pick(STRINGS);
    default:
      return rng.pick(STRINGS);
  }
}

export function hostileNumber(rng: Rng): number {
  return rng.chance(0.8) ? rng.pick(NUMBERS) : (rng.next() - 0.5) * 10 ** rng.int(0, 30);
}

/** Any JSON value, at most `depth` levels of nesting more. */
export function hostileValue(rng: Rng, ctx: Context, depth = 3): Json {
  switch (rng.int(0, 11)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
    case 3:
      return hostileNumber(rng);
    case 4:
    case 5:
      return hostileString(rng);
    case 6:
      return nearValue(rng, ctx);
    case 7:
      return depth > 0 ? Array.from({ length: rng.int(0, 4) }, () => hostileValue(rng, ctx, depth - 1)) : [];
    case 8:
      return rng.chance(0.05) ? deepValue(rng) : depth > 0 ? hostileObject(rng, ctx, depth - 1) : {};
    default:
      return depth > 0 ? hostileObject(rng, ctx, depth - 1) : rng.pick(STRINGS);
  }
}

/** An object with plausible and hostile keys. */
export function hostileObject(rng: Rng, ctx: Context, depth = 2): Record<string, Json> {
  const out: Record<string, Json> = {};
  const n = rng.int(0, 6);
  for (let i = 0; i < n; i++) {
    const key = rng.chance(0.85) ? rng.pick(KEYS) : hostileString(rng);
    // defineProperty: `__proto__` becomes an own key, as JSON.parse would make it.
    Object.defineProperty(out, key, {
      value: hostileValue(rng, ctx, depth),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** A value shaped like something real: an id the server holds, or a plausible one. */
export function nearValue(rng: Rng, ctx: Context): Json {
  const kinds = Object.keys(ctx.known).filter((k) => (ctx.known[k]?.length ?? 0) > 0);
  if (kinds.length > 0 && rng.chance(0.8)) return rng.pick(ctx.known[rng.pick(kinds)]!);
  return rng.pick([
    '@fuzz:example.org',
    '!fuzz:example.org',
    '#fuzz:example.org',
    '$fuzz',
    'mxc://example.org/x',
  ]);
}

/** Arrays or objects nested around canonical JSON's and the parsers' limits. */
export function deepValue(rng: Rng): Json {
  const levels = rng.pick([99, 100, 101, 512, 999, 1000, 1001, 2000]);
  let value: Json = rng.chance(0.5) ? 1 : 'x';
  for (let i = 0; i < levels; i++) value = rng.chance(0.5) ? [value] : { a: value };
  return value;
}

/** encodeURIComponent that also takes lone surrogates (as WTF-8 bytes, which no UTF-8 decoder accepts). */
export function encodeAny(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    let out = '';
    for (const char of value) {
      const code = char.codePointAt(0)!;
      if (code >= 0xd800 && code <= 0xdfff)
        out +=
          `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
      else out += encodeURIComponent(char);
    }
    return out;
  }
}
