// The rooms module as the composition root makes it, once per homeserver: one
// context (one writer, whose per-room locks every writer of the store must
// share) behind each of the module's faces, named by who uses them.
import type { Route } from '../http/route.ts';
import { type RoomAccountHooks, roomAccountHooks } from './account-hooks.ts';
import type { FederationForRooms, RoomDeps } from './deps.ts';
import { type RoomFederationPort, roomFederationPort } from './federation-api.ts';
import * as membership from './membership.ts';
import type { SendResult } from './room-writer.ts';
import { createRoomsContext, type RoomsContext } from './rooms-context.ts';
import { type ReportsView, reportsView } from './reports.ts';
import { roomRoutes } from './routes.ts';

export interface Rooms {
  /** The module's Client-Server endpoints. */
  readonly routes: readonly Route[];
  /** What room federation uses of rooms (federation-api.ts). */
  readonly federationPort: RoomFederationPort;
  /** What the accounts module's hooks call: profile changes, deactivation, the user directory. */
  readonly accountHooks: RoomAccountHooks;
  /**
   * Sends a local user's membership change (a member event) into a room; 403
   * when the target's membership is not in `request.from`.
   */
  changeMembership(request: membership.MembershipRequest): Promise<SendResult>;
  /**
   * Connects room federation (made over `federationPort`, so after the rooms
   * module): from then on joins and leaves of rooms held elsewhere go over
   * it, and every local event goes to its outbox.
   */
  connectFederation(federation: FederationForRooms): void;
  /** The owner's view of reported content (the popup's Reports tab). */
  readonly reports: ReportsView;
  /** The shared context (tests write through its writer directly). */
  readonly context: RoomsContext;
}

export function createRooms(deps: RoomDeps): Rooms {
  const context = createRoomsContext(deps);
  return {
    routes: roomRoutes(context),
    federationPort: roomFederationPort(context),
    accountHooks: roomAccountHooks(context),
    changeMembership: (request) => membership.changeMembership(context, request),
    connectFederation: context.connect,
    reports: reportsView(context),
    context,
  };
}
