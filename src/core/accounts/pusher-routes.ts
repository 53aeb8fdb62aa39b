// Pushers (spec: GET /pushers, POST /pushers/set). Stored only: no push
// gateway is called yet, but clients see what they set.
import { badJson, invalidParam, missingParam } from '../errors.ts';
import {
  jsonObjectBody,
  type JsonRecord,
  optionalBoolean,
  optionalString,
  requireObject,
  requireString,
} from '../http/json-body.ts';
import type { Route } from '../http/route.ts';
import type { AccountDeps } from './deps.ts';
import { listPushers, removePusher, setPusher } from './pushers.ts';
import { callerOf, V3 } from './route-helpers.ts';
import { PUSHERS } from './tables.ts';

export function pusherRoutes(deps: AccountDeps): Route[] {
  return [
    {
      method: 'GET',
      path: `${V3}/pushers`,
      auth: 'required',
      async handler(ctx) {
        const pushers = await deps.store.read([PUSHERS], (tx) => listPushers(tx, callerOf(ctx).userId));
        return { body: { pushers } };
      },
    },
    {
      method: 'POST',
      path: `${V3}/pushers/set`,
      auth: 'required',
      async handler(ctx) {
        const { userId } = callerOf(ctx);
        const body = jsonObjectBody(ctx.req);
        const pushkey = limited(requireString(body, 'pushkey'), 'pushkey', 512);
        const appId = limited(requireString(body, 'app_id'), 'app_id', 64);
        if (!('kind' in body)) throw missingParam('Missing field kind');
        // Spec: kind null deletes the pusher with this app id and pushkey.
        if (body.kind === null) {
          await deps.store.write([PUSHERS], (tx) => removePusher(tx, userId, appId, pushkey));
          return { body: {} };
        }
        const pusher = { ...readPusher(body), pushkey, app_id: appId };
        const append = optionalBoolean(body, 'append') ?? false;
        await deps.store.write([PUSHERS], (tx) => setPusher(tx, userId, pusher, append));
        return { body: {} };
      },
    },
  ];
}

function limited(value: string, field: string, max: number): string {
  if (value.length > max) throw invalidParam(`${field} may not be longer than ${max} characters`);
  return value;
}

/** The fields a pusher keeps (spec: POST /pushers/set request body). */
function readPusher(body: JsonRecord): Record<string, unknown> {
  const kind = requireString(body, 'kind');
  const data = requireObject(body, 'data');
  if (kind === 'http' && typeof data.url !== 'string')
    throw missingParam('data.url is required for http pushers');
  if (data.format !== undefined && typeof data.format !== 'string')
    throw badJson('data.format must be a string');
  const profileTag = optionalString(body, 'profile_tag');
  return {
    kind,
    app_display_name: requireString(body, 'app_display_name'),
    device_display_name: requireString(body, 'device_display_name'),
    lang: requireString(body, 'lang'),
    data,
    ...(profileTag !== undefined ? { profile_tag: profileTag } : {}),
  };
}
