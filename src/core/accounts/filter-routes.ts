// Sync filters (spec: POST/GET /user/{userId}/filter). A missing filter must
// be 404 M_NOT_FOUND: matrix-js-sdk retries any other error forever.
import { notFound } from '../errors.ts';
import { jsonObjectBody } from '../http/json-body.ts';
import { requireUserId } from '../http/matrix-ids.ts';
import type { Route } from '../http/route.ts';
import type { AccountDeps } from './deps.ts';
import { createFilter, getFilter } from './filters.ts';
import { param, requireSelf, V3 } from './route-helpers.ts';
import { FILTERS } from './tables.ts';

export function filterRoutes(deps: AccountDeps): Route[] {
  return [
    {
      method: 'POST',
      path: `${V3}/user/{userId}/filter`,
      auth: 'required',
      async handler(ctx) {
        const userId = requireUserId(param(ctx, 'userId'));
        requireSelf(ctx, userId, 'create filters');
        const filter = jsonObjectBody(ctx.req);
        const filterId = await deps.store.write([FILTERS], (tx) => createFilter(tx, userId, filter));
        return { body: { filter_id: filterId } };
      },
    },
    {
      method: 'GET',
      path: `${V3}/user/{userId}/filter/{filterId}`,
      auth: 'required',
      async handler(ctx) {
        const userId = requireUserId(param(ctx, 'userId'));
        requireSelf(ctx, userId, 'read filters');
        const filter = await deps.store.read([FILTERS], (tx) =>
          getFilter(tx, userId, param(ctx, 'filterId')),
        );
        if (!filter) throw notFound('No such filter');
        return { body: filter };
      },
    },
  ];
}
