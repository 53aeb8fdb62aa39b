// The set-up the hostile tests share (test/node/hostile/): one homeserver on
// libp2p with its relay, alice with a room of hers, and a rogue peer with a
// libp2p node of its own on the same relay, reaching the homeserver over the
// real wire. Called inside a describe: built before its tests, closed after.
import { after, before } from 'node:test';
import type { FederationHandler } from '../../src/core/public.ts';
import { type RoguePeer, rogueOver } from '../core/federation/rogue-peer.ts';
import { createRoom } from '../core/federation/room-helpers.ts';
import type { Account, Json, RunningNode } from './federated-cluster.ts';
import { createLibp2pCluster, type Libp2pCluster } from './libp2p-cluster.ts';

export interface OneNodeAndRogue {
  readonly cluster: Libp2pCluster;
  readonly a: RunningNode;
  readonly alice: Account;
  /** alice's room. */
  readonly roomId: string;
  readonly rogue: RoguePeer;
}

export interface OneNodeAndRogueOptions {
  /** The byte the rogue's key is made of: each file its own, so that no two runs share a peer id. */
  readonly rogueSeed: number;
  /** The body of alice's createRoom (default: a public room). */
  readonly room?: Json;
  /** What the rogue answers the homeserver's requests with (default: nothing is served). */
  readonly serve?: FederationHandler;
}

/** Registers the before and after hooks; the fields are there once `before` ran. */
export function oneNodeAndRogue(options: OneNodeAndRogueOptions): OneNodeAndRogue {
  const fixture = {} as { -readonly [K in keyof OneNodeAndRogue]: OneNodeAndRogue[K] };
  before(async () => {
    fixture.cluster = await createLibp2pCluster(['a']);
    [fixture.a] = fixture.cluster.nodes as [RunningNode];
    fixture.alice = await fixture.a.register('alice');
    fixture.roomId = await createRoom(fixture.a, fixture.alice, options.room ?? { preset: 'public_chat' });
    const transport = await fixture.cluster.rogueTransport(options.rogueSeed);
    fixture.rogue = await rogueOver(transport, options.rogueSeed);
    if (options.serve) fixture.rogue.serve(options.serve);
  });
  after(() => fixture.cluster?.close());
  return fixture;
}
