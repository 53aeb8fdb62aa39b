// Presence (spec: GET/PUT /presence/{userId}/status).
import { badJson, invalidParam, notFound } from '../errors.ts';
import { jsonObjectBody, requireEnum } from '../http/json-body.ts';
import { parseId, requireUserId } from '../http/matrix-ids.ts';
import type { Route } from '../http/route.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import type { AccountDeps } from './deps.ts';
import { getPresence, PRESENCE_STATES, presenceStatus, setPresence } from './presence.ts';
import { param, requireSelf, V3 } from './route-helpers.ts';
import { PRESENCE, USERS } from './tables.ts';
import { userExists } from './users.ts';

/** Status messages are free text shown next to a name; Synapse caps nothing, a sane cap keeps rows small. */
const MAX_STATUS_LENGTH = 1000;

export function presenceRoutes(deps: AccountDeps): Route[] {
  const path = `${V3}/presence/{userId}/status`;
  return [
    {
      method: 'GET',
      path,
      auth: 'required',
      async handler(ctx) {
        const userId = requireUserId(param(ctx, 'userId'));
        const row = await deps.store.read([USERS, PRESENCE], async (tx) => {
          const local = parseId(userId).serverName === deps.serverName && (await userExists(tx, userId));
          if (!local) throw notFound('Unknown user');
          return getPresence(tx, userId);
        });
        return { body: presenceStatus(row, deps.clock.now()) };
      },
    },
    {
      method: 'PUT',
      path,
      auth: 'required',
      async handler(ctx) {
        const userId = requireUserId(param(ctx, 'userId'));
        requireSelf(ctx, userId, 'set presence');
        const body = jsonObjectBody(ctx.req);
        const presence = requireEnum(body, 'presence', PRESENCE_STATES);
        const message = body.status_msg;
        if (message !== undefined && message !== null && typeof message !== 'string') {
          throw badJson('Field status_msg must be a string');
        }
        if (typeof message === 'string' && message.length > MAX_STATUS_LENGTH) {
          throw invalidParam(`status_msg may not be longer than ${MAX_STATUS_LENGTH} characters`);
        }
        const now = deps.clock.now();
        const changed = await deps.store.write([PRESENCE, STREAM_TABLE], (tx) =>
          setPresence(tx, userId, presence, message, now),
        );
        if (changed !== undefined) deps.notifier.notify({ everyone: true });
        return { body: {} };
      },
    },
  ];
}
