// The keys module's Client-Server routes (spec: "End-to-End Encryption",
// "Send-to-Device messaging"). `/r0/` paths reach these as `/v3/` (the router
// maps them), which is where Hydrogen calls keys/upload and keys/query.
import { invalidParam } from '../errors.ts';
import { jsonObjectBody } from '../http/json-body.ts';
import { requireQueryParam } from '../http/query.ts';
import type { Route } from '../http/route.ts';
import { backupRoutes } from './backup-routes.ts';
import { crossSigningRoutes } from './cross-signing-routes.ts';
import { callerOf, V3 } from './route-helpers.ts';
import { parseSyncPosition } from './positions.ts';
import type { JsonObject } from '../protocol/types.ts';
import type { KeysDeps } from './deps.ts';
import { DEFAULT_REMOTE_TIMEOUT_MS, claimKeys, parseClaims, parseUserDevices, queryKeys } from './query.ts';
import { deviceListChanges } from './sync-section.ts';
import { MAX_MESSAGE_CHARS, MAX_RECIPIENTS, parseMessages, sendToDevice } from './to-device.ts';
import { uploadKeys } from './upload.ts';

/** The request's `timeout` in ms, within what a client may make us wait. */
function timeoutOf(body: Record<string, unknown>): number {
  const value = body.timeout;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return DEFAULT_REMOTE_TIMEOUT_MS;
  return Math.min(value, 60_000);
}

export function keysRoutes(deps: KeysDeps): Route[] {
  return [
    {
      method: 'POST',
      path: `${V3}/keys/upload`,
      auth: 'required',
      handler: async (ctx) => ({
        body: await uploadKeys(deps, callerOf(ctx), jsonObjectBody(ctx.req) as JsonObject),
      }),
    },
    {
      method: 'POST',
      path: `${V3}/keys/query`,
      auth: 'required',
      async handler(ctx) {
        const body = jsonObjectBody(ctx.req);
        const users = parseUserDevices(body.device_keys, 'device_keys');
        return { body: await queryKeys(deps, callerOf(ctx).userId, users, timeoutOf(body)) };
      },
    },
    {
      method: 'POST',
      path: `${V3}/keys/claim`,
      auth: 'required',
      async handler(ctx) {
        const body = jsonObjectBody(ctx.req);
        return { body: await claimKeys(deps, parseClaims(body.one_time_keys), timeoutOf(body)) };
      },
    },
    {
      method: 'GET',
      path: `${V3}/keys/changes`,
      auth: 'required',
      async handler(ctx) {
        const from = parseSyncPosition(requireQueryParam(ctx.req, 'from'));
        const to = parseSyncPosition(requireQueryParam(ctx.req, 'to'));
        if (to < from) throw invalidParam('to is before from');
        const tables = [...deps.keys.tables, ...deps.rooms.tables];
        return {
          body: await deps.store.read(tables, (tx) =>
            deviceListChanges(deps, tx, callerOf(ctx).userId, from, to),
          ),
        };
      },
    },
    {
      method: 'PUT',
      path: `${V3}/sendToDevice/{eventType}/{txnId}`,
      auth: 'required',
      maxBodyBytes: MAX_RECIPIENTS * 1024 + MAX_MESSAGE_CHARS * 4,
      async handler(ctx) {
        const messages = parseMessages(jsonObjectBody(ctx.req).messages);
        await sendToDevice(deps, callerOf(ctx), ctx.params.eventType!, ctx.params.txnId!, messages);
        return { body: {} };
      },
    },
    ...crossSigningRoutes(deps),
    ...backupRoutes(deps),
  ];
}
