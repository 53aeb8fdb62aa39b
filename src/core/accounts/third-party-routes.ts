// Third-party identifiers and networks (spec: "Adding Account Administrative
// Contact Information", "Third-party Networks"). This server holds no
// 3PIDs: it has no identity server and sends no email or SMS (/capabilities
// says `m.3pid_changes: false`), and bridges no third-party network. Element
// still asks for the lists (its Settings and Explore rooms), so they answer
// empty; every call that would add, bind or remove one is refused with the
// spec's error instead of a success that did nothing.
import { MatrixError, notFound } from '../errors.ts';
import { jsonObjectBody, optionalString, requireInteger, requireString } from '../http/json-body.ts';
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

/**
 * The token requests of registration and password reset (auth none): the
 * body is checked as the spec asks, then refused. Registering with an email
 * or phone is M_THREEPID_DENIED; a reset finds no account by it, as none
 * has one (M_THREEPID_NOT_FOUND).
 */
function requestTokenRoute(path: string, medium: 'email' | 'msisdn', error: () => MatrixError): Route {
  return {
    method: 'POST',
    path: `${V3}${path}`,
    auth: 'none',
    async handler(ctx) {
      const body = jsonObjectBody(ctx.req);
      requireString(body, 'client_secret');
      requireInteger(body, 'send_attempt');
      if (medium === 'email') requireString(body, 'email');
      else {
        requireString(body, 'country');
        requireString(body, 'phone_number');
      }
      optionalString(body, 'next_link');
      throw error();
    },
  };
}

const noThreepidAccount = () =>
  new MatrixError(
    400,
    'M_THREEPID_NOT_FOUND',
    'No account of this homeserver has that third-party identifier',
  );

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
    requestTokenRoute('/register/email/requestToken', 'email', threepidDenied),
    requestTokenRoute('/register/msisdn/requestToken', 'msisdn', threepidDenied),
    requestTokenRoute('/account/password/email/requestToken', 'email', noThreepidAccount),
    requestTokenRoute('/account/password/msisdn/requestToken', 'msisdn', noThreepidAccount),
    // No bridges: lookups across all protocols find nothing; one named protocol is unknown.
    {
      method: 'GET',
      path: `${V3}/thirdparty/protocol/{protocol}`,
      auth: 'required',
      handler: async () => {
        throw notFound('No bridge serves that protocol here');
      },
    },
    ...['location', 'user'].flatMap((kind): Route[] => [
      {
        method: 'GET',
        path: `${V3}/thirdparty/${kind}`,
        auth: 'required',
        handler: async () => ({ body: [] }),
      },
      {
        method: 'GET',
        path: `${V3}/thirdparty/${kind}/{protocol}`,
        auth: 'required',
        handler: async () => {
          throw notFound('No bridge serves that protocol here');
        },
      },
    ]),
    {
      // No bridges: no protocols (spec: an object keyed by protocol name).
      method: 'GET',
      path: `${V3}/thirdparty/protocols`,
      auth: 'required',
      handler: async () => ({ body: {} }),
    },
  ];
}
