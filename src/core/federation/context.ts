// Everything the parts of room federation share, built once by
// createFederation (federation.ts).
import type { Clock } from '../ports.ts';
import type { Signer } from '../protocol/ed25519.ts';
import type { RoomFederationPort } from '../rooms/federation-api.ts';
import type { EduDeps } from './edus.ts';
import type { BackfillLimits, BackfillTally } from './inbound/backfill.ts';
import type { InboundDeps } from './inbound/inbound-deps.ts';
import type { Outbound } from './outbound.ts';
import type { Senders } from './sender.ts';

export interface FederationContext extends InboundDeps {
  readonly clock: Clock;
  readonly serverName: string;
  /** Signs as this server (`ed25519:p2p`). */
  readonly signer: Signer;
  readonly rooms: RoomFederationPort;
  readonly outbound: Outbound;
  readonly senders: Senders;
  readonly edus: EduDeps;
  readonly backfillLimits: BackfillLimits;
  /** Per room with a backfill under way, the timeline events backfills placed (backfillRoom). */
  readonly backfilled: BackfillTally;
}
