// The search benches' corpus and searches (bench/search.bench.ts in Node,
// bench/search-extension.bench.ts in the extension), made in Node for both:
//  - messages of 6 to 14 words drawn from a 5,000-word vocabulary with Zipf
//    frequencies (s = 1), deterministic (mulberry32), so runs compare;
//  - sent by alice, a user of a Node peer, into ROOMS rooms the searcher
//    joined, as federation transactions of 50 (one room's next 50 each, the
//    rooms in turn): a sending server's pace, not a client's (a page's sends
//    are rate-limited, and each is its own storage transaction), so 100,000
//    messages load in minutes; the searcher's server indexes them as it
//    indexes anything it receives;
//  - the index's cost on ingest, paired: transactions alternately of indexed
//    messages and of the same messages with the words under another key
//    (`org.example.text`, no `body`: same size, same checks, nothing to index);
//  - searches for a rare, a middling and a common word and for two words.
import type { JsonObject } from '../src/core/protocol.ts';
import type { PeerTransport } from '../src/core/federation/transport.ts';
import { type RoomChain, sendTransaction, TRANSACTION_PDUS } from './signed-chain.ts';

export const ROOMS = 10;
const VOCABULARY = 5_000;
export const SEARCH_KINDS = ['rare', 'middling', 'common', 'two words'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

/** mulberry32: a small deterministic generator. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The word of a frequency rank (1 is the most frequent). */
const word = (rank: number) => `w${rank.toString(36)}x`;

/** Zipf sampling over ranks 1..VOCABULARY (s = 1) by inverting the cumulative weights. */
function zipf(next: () => number): () => number {
  const cumulative: number[] = [];
  let sum = 0;
  for (let r = 1; r <= VOCABULARY; r++) {
    sum += 1 / r;
    cumulative.push(sum);
  }
  return () => {
    const x = next() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

export interface Corpus {
  /** The next message's text. */
  message(): string;
  /** A search term of this kind. */
  term(kind: SearchKind): string;
}

export function corpus(seed = 17): Corpus {
  const next = random(seed);
  const draw = zipf(next);
  const pick = (from: number, span: number) => word(from + Math.floor(next() * span));
  return {
    message: () => Array.from({ length: 6 + Math.floor(next() * 9) }, () => word(draw())).join(' '),
    term: (kind) =>
      kind === 'rare'
        ? pick(2000, 3000)
        : kind === 'middling'
          ? pick(50, 200)
          : kind === 'common'
            ? pick(1, 5)
            : `${pick(1, 50)} ${pick(50, 500)}`,
  };
}

/** How a corpus message's words travel: in `body` (indexed), or under a key nothing indexes. */
const indexed = (text: string): JsonObject => ({ msgtype: 'm.text', body: text });
const unindexed = (text: string): JsonObject => ({ msgtype: 'm.text', 'org.example.text': text });

export interface Feed {
  readonly transport: Pick<PeerTransport, 'request'>;
  /** The sending server (alice's). */
  readonly from: string;
  /** The searcher's server. */
  readonly to: string;
  /** One chain per room, alice's events. */
  readonly chains: readonly RoomChain[];
  readonly corpus: Corpus;
}

let transactions = 0;

/** The next `count` messages (50 unless said) of one room, signed. */
export async function signBatch(
  feed: Pick<Feed, 'chains' | 'corpus'>,
  room: number,
  content: (text: string) => JsonObject = indexed,
  count = TRANSACTION_PDUS,
) {
  const chain = feed.chains[room % feed.chains.length]!;
  const pdus: JsonObject[] = [];
  for (let i = 0; i < count; i++)
    pdus.push(await chain.next('m.room.message', content(feed.corpus.message())));
  return pdus;
}

/** Sends one transaction; the milliseconds until it was answered. */
async function timedSend(feed: Feed, pdus: readonly JsonObject[]): Promise<number> {
  const t0 = performance.now();
  await sendTransaction(feed.transport, feed.from, feed.to, `corpus.${++transactions}`, pdus);
  return performance.now() - t0;
}

/**
 * Sends `count` corpus messages (a multiple of 50), one transaction after the
 * other, or fewer when `budgetMs` of sending ran out first; returns how many
 * were sent and received per second (signing them is not counted).
 */
export async function loadCorpus(
  feed: Feed,
  count: number,
  {
    progress,
    budgetMs = Number.POSITIVE_INFINITY,
  }: { progress?: (sent: number) => void; budgetMs?: number } = {},
) {
  let busy = 0;
  let sent = 0;
  while (sent < count && busy < budgetMs) {
    busy += await timedSend(feed, await signBatch(feed, sent / TRANSACTION_PDUS, indexed));
    sent += TRANSACTION_PDUS;
    if (progress && sent % 10_000 === 0) progress(sent);
  }
  return { sent, perSecond: (sent / busy) * 1000 };
}

/**
 * The index's cost on ingest: `pairs` pairs of transactions, one of indexed
 * messages and one of unindexed ones, in alternating order (so load changes
 * hit both alike); PDUs per second of each kind.
 */
export async function pairedIngest(feed: Feed, pairs: number) {
  const ms = { indexed: 0, unindexed: 0 };
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 === 0 ? (['indexed', 'unindexed'] as const) : (['unindexed', 'indexed'] as const);
    for (const kind of order) {
      const pdus = await signBatch(feed, i, kind === 'indexed' ? indexed : unindexed);
      ms[kind] += await timedSend(feed, pdus);
    }
  }
  const perSecond = (total: number) => ((pairs * TRANSACTION_PDUS) / total) * 1000;
  return { indexed: perSecond(ms.indexed), unindexed: perSecond(ms.unindexed) };
}
