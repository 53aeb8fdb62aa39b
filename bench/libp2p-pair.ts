// Two homeservers in this process (in-memory SQLite), federating over libp2p
// websockets on 127.0.0.1 through a relay, as two `serve` peers do: the set-up
// of the benches that join a room held by the other peer.
import type { PeerTransport } from '../src/core/federation/transport.ts';
import type { Store } from '../src/core/storage/port.ts';
import { createLibp2pTransport } from '../src/node/p2p/create-libp2p-transport.ts';
import { startRelay } from '../src/node/relay.ts';
import {
  type Json,
  type RunningNode,
  eventually,
  seedFor,
  startFederatedNode,
} from '../test/support/federated-cluster.ts';

export interface Libp2pPair {
  readonly a: RunningNode;
  readonly b: RunningNode;
  close(): Promise<void>;
}

/** `stores`: a node's store (default: a new in-memory one), closed with the pair. */
export async function startLibp2pPair(
  labels: readonly [string, string],
  stores: readonly [Store?, Store?] = [],
): Promise<Libp2pPair> {
  const relay = await startRelay();
  const transports: PeerTransport[] = [];
  const nodes: RunningNode[] = [];
  const close = async () => {
    for (const node of nodes) {
      await node.stop();
      await node.store.close();
    }
    for (const transport of transports.slice(nodes.length)) await transport.close();
    await relay.stop();
  };
  try {
    for (const label of labels)
      transports.push(await createLibp2pTransport({ seed: seedFor(label), relays: relay.multiaddrs }));
    const [ta, tb] = transports as [PeerTransport, PeerTransport];
    await eventually(async () => ta.peers().includes(tb.serverName), 'the peers find each other');
    for (const [i, label] of labels.entries())
      nodes.push(
        await startFederatedNode({
          label,
          transport: transports[i]!,
          ...(stores[i] && { store: stores[i] }),
        }),
      );
    return { a: nodes[0]!, b: nodes[1]!, close };
  } catch (error) {
    await close();
    throw error;
  }
}

const V3 = '/_matrix/client/v3';
const GIVE_UP_MS = 60_000;

/**
 * From `joiner`'s join request on `b` until its /messages (dir=b, a page of
 * 21: the join and the 20 messages before it) shows 20 messages from before
 * the join: ms, and that page (after a minute without it: that minute).
 */
export async function joinToFirstPage(
  b: RunningNode,
  joiner: { accessToken: string },
  roomId: string,
  via: string,
): Promise<{ joinMs: number; firstPageMs: number; page: Json }> {
  const enc = encodeURIComponent;
  const t0 = performance.now();
  const joined = await b.request(
    'POST',
    `${V3}/join/${enc(roomId)}?server_name=${via}`,
    {},
    joiner.accessToken,
  );
  if (joined.status !== 200) throw new Error(`join failed: ${JSON.stringify(joined.body)}`);
  const joinMs = performance.now() - t0;
  const messages = () =>
    b.request('GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=21`, undefined, joiner.accessToken);
  const older = (body: Json) => body.chunk.filter((e: Json) => e.type === 'm.room.message').length;
  let page = await messages();
  while (older(page.body) < 20) {
    // A joiner that shows no history for a minute has missed any goal: give up (the figure says how long).
    if (performance.now() - t0 > GIVE_UP_MS) break;
    page = await messages();
  }
  return { joinMs, firstPageMs: performance.now() - t0, page: page.body };
}
