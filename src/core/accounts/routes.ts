// Every route of the accounts module: discovery, login and registration,
// account management, devices, profiles and directory, filters, push rules,
// pushers, account data and presence.
import type { Route } from '../http/route.ts';
import { accountDataRoutes } from './account-data-routes.ts';
import { accountManagementRoutes } from './account-management-routes.ts';
import type { AccountDeps } from './deps.ts';
import { deviceRoutes } from './device-routes.ts';
import { discoveryRoutes } from './discovery-routes.ts';
import { filterRoutes } from './filter-routes.ts';
import { loginRoutes } from './login-routes.ts';
import { loginTokenRoutes } from './login-tokens.ts';
import { openIdRoutes } from './openid.ts';
import { presenceRoutes } from './presence-routes.ts';
import { profileRoutes } from './profile-routes.ts';
import { pushRuleRoutes } from './push-rule-routes.ts';
import { pusherRoutes } from './pusher-routes.ts';
import { refreshRoutes } from './refresh-tokens.ts';
import { registerRoutes } from './register-routes.ts';
import { tagRoutes } from './tag-routes.ts';
import { thirdPartyRoutes } from './third-party-routes.ts';

export type { AccountDeps } from './deps.ts';

export function accountRoutes(deps: AccountDeps): Route[] {
  return [
    ...discoveryRoutes(deps),
    ...loginRoutes(deps),
    ...loginTokenRoutes(deps),
    ...refreshRoutes(deps),
    ...registerRoutes(deps),
    ...accountManagementRoutes(deps),
    ...deviceRoutes(deps),
    ...profileRoutes(deps),
    ...filterRoutes(deps),
    ...pushRuleRoutes(deps),
    ...pusherRoutes(deps),
    ...accountDataRoutes(deps),
    ...tagRoutes(deps),
    ...openIdRoutes(deps),
    ...presenceRoutes(deps),
    ...thirdPartyRoutes(),
  ];
}
