// Third-party identifiers and networks (spec: "Adding Account Administrative
// Contact Information", "Third-party Networks"). This server holds no
// 3PIDs: it has no identity server and sends no email or SMS (/capabilities
// says `m.3pid_changes: false`), and bridges no third-party network. Element
// still asks for the lists (its Settings and Explore rooms), so they answer
// empty; every call that would add, bind or remove one is refused with the
// spec's error instead of a success that did nothing.
import { MatrixError } from '../errors.ts';
import { jsonObjectBody, requireString } from '../http/json-body.ts';
import type { HandlerResult, RequestContext, Route } from '../http/route.ts';
import { V3 } from './route-helpers.ts';

const threepidDenied = () =>
  new MatrixError(403, 'M_THREEPID_DENIED', 'This homeserver does not hold third-party identifiers');

/** add, bind, the deprecated POST /account/3pid and the token requests: refused. */
async function refuseAdding(): Promise<HandlerResult> {
  throw threepidDenied();
}

/** delete and unbind: the body is checked, and the identifier is not held here. */
async function refuseRemoving(ctx: RequestContext): Promise<HandlerResult> {
  const body = jsonObjectBody(ctx.req);
  const medium = requireString(body, 'medium');
  const address = requireString(body, 'address');
  throw new MatrixError(
    400,
    'M_THREEPID_NOT_FOUND',
    `${medium} ${address} is not a third-party identifier of this account`,
  );
}

export function thirdPartyRoutes(): Route[] {
  const post = (path: string, handler: (ctx: RequestContext) => Promise<HandlerResult>): Route => ({
    method: 'POST',
    path: `${V3}${path}`,
    auth: 'required',
    handler,
  });
  return [
    {
      method: 'GET',
      path: `${V3}/account/3pid`,
      auth: 'required',
      handler: async () => ({ body: { threepids: [] } }),
    },
    post('/account/3pid', refuseAdding),
    post('/account/3pid/add', refuseAdding),
    post('/account/3pid/bind', refuseAdding),
    post('/account/3pid/email/requestToken', refuseAdding),
    post('/account/3pid/msisdn/requestToken', refuseAdding),
    post('/account/3pid/delete', refuseRemoving),
    post('/account/3pid/unbind', refuseRemoving),
    {
      // No bridges: no protocols (spec: an object keyed by protocol name).
      method: 'GET',
      path: `${V3}/thirdparty/protocols`,
      auth: 'required',
      handler: async () => ({ body: {} }),
    },
  ];
}
