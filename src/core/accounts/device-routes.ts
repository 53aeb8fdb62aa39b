// Device management (spec: "Device Management"). Deleting devices needs
// m.login.password UIA, bound to the exact devices being deleted.
import { notFound } from '../errors.ts';
import {
  jsonObjectBody,
  optionalJsonObjectBody,
  optionalString,
  requireStringArray,
} from '../http/json-body.ts';
import type { HandlerResult, RequestContext, Route } from '../http/route.ts';
import type { AccountDeps } from './deps.ts';
import { callerOf, param, V3 } from './route-helpers.ts';
import {
  deleteDevice,
  getDevice,
  listDevices,
  renameDevice,
  SESSION_TABLES,
  writeRemovingDevices,
} from './sessions.ts';
import { DEVICES, type DeviceRow } from './tables.ts';
import { userInteractiveAuth } from './uia.ts';

function deviceJson(row: DeviceRow): Record<string, unknown> {
  const out: Record<string, unknown> = { device_id: row.device_id };
  if (row.display_name !== undefined) out.display_name = row.display_name;
  if (row.last_seen_ts !== undefined) out.last_seen_ts = row.last_seen_ts;
  return out;
}

export function deviceRoutes(deps: AccountDeps): Route[] {
  return [
    {
      method: 'GET',
      path: `${V3}/devices`,
      auth: 'required',
      async handler(ctx) {
        const rows = await deps.store.read([DEVICES], (tx) => listDevices(tx, callerOf(ctx).userId));
        return { body: { devices: rows.map(deviceJson) } };
      },
    },
    {
      method: 'GET',
      path: `${V3}/devices/{deviceId}`,
      auth: 'required',
      async handler(ctx) {
        const row = await deps.store.read([DEVICES], (tx) =>
          getDevice(tx, callerOf(ctx).userId, param(ctx, 'deviceId')),
        );
        if (!row) throw notFound('No such device');
        return { body: deviceJson(row) };
      },
    },
    {
      method: 'PUT',
      path: `${V3}/devices/{deviceId}`,
      auth: 'required',
      async handler(ctx) {
        const displayName = optionalString(jsonObjectBody(ctx.req), 'display_name');
        const { userId } = callerOf(ctx);
        const deviceId = param(ctx, 'deviceId');
        await deps.store.write([DEVICES], (tx) => renameDevice(tx, userId, deviceId, displayName));
        return { body: {} };
      },
    },
    {
      method: 'DELETE',
      path: `${V3}/devices/{deviceId}`,
      auth: 'required',
      handler: (ctx) => deleteDevices(deps, ctx, [param(ctx, 'deviceId')], optionalJsonObjectBody(ctx.req)),
    },
    {
      method: 'POST',
      path: `${V3}/delete_devices`,
      auth: 'required',
      async handler(ctx) {
        const body = jsonObjectBody(ctx.req);
        return deleteDevices(deps, ctx, requireStringArray(body, 'devices'), body);
      },
    },
  ];
}

/** DELETE /devices/{deviceId} and POST /delete_devices; devices already gone are skipped. */
async function deleteDevices(
  deps: AccountDeps,
  ctx: RequestContext,
  deviceIds: readonly string[],
  body: Record<string, unknown>,
): Promise<HandlerResult> {
  const { userId } = callerOf(ctx);
  const purpose = `delete_devices ${JSON.stringify([...deviceIds].sort())}`;
  const outcome = await userInteractiveAuth(deps, { purpose, flows: [['m.login.password']], userId }, body);
  if (!outcome.done) return outcome.response;
  await writeRemovingDevices(deps, SESSION_TABLES, async (tx, removal) => {
    for (const deviceId of deviceIds) await deleteDevice(tx, userId, deviceId, removal);
  });
  return { body: {} };
}
