// Where a browser → browser message's time goes: the spans both workers
// recorded (src/platform/trace.ts: storage transactions, client requests,
// federation requests) cut into one window per message, from the send until
// B's client had it, and summed per kind. Printed by the extension bench.
import type { Worker } from 'playwright-core';
import { mean, quantile } from './bench-homeserver.ts';
import type { Span } from '../src/platform/trace.ts';

interface TraceGlobal {
  p2pMatrix: {
    trace: { start(): void; take(): Span[] };
    network: { trace(on: boolean): Promise<readonly Span[]> };
  };
}

/** Starts the trace of the worker and of its libp2p node (the offscreen document). */
export function startTrace(worker: Worker): Promise<void> {
  return worker.evaluate(async () => {
    const { p2pMatrix } = globalThis as unknown as TraceGlobal;
    p2pMatrix.trace.start();
    await p2pMatrix.network.trace(true);
  });
}

/** The spans of the worker and of its node, in order of their start. */
export function takeTrace(worker: Worker): Promise<Span[]> {
  return worker.evaluate(async () => {
    const { p2pMatrix } = globalThis as unknown as TraceGlobal;
    const spans = [...p2pMatrix.trace.take(), ...(await p2pMatrix.network.trace(false))];
    return spans.sort((x, y) => x.start - y.start);
  });
}

/** Lines saying where the worker's time went over `ms`: its spans by name, the costliest first. */
export function spanTotals(spans: readonly Span[], ms: number, top = 10): string[] {
  const byName = new Map<string, { count: number; ms: number; ops: number }>();
  for (const span of spans) {
    const total = byName.get(span.name) ?? { count: 0, ms: 0, ops: 0 };
    total.count++;
    total.ms += span.end - span.start;
    total.ops += span.requests?.length ?? 0;
    byName.set(span.name, total);
  }
  return [
    `the worker's spans over ${ms.toFixed(0)} ms:`,
    ...[...byName]
      .sort((x, y) => y[1].ms - x[1].ms)
      .slice(0, top)
      .map(
        ([name, t]) =>
          `  ${name}: ${t.count}×, ${t.ms.toFixed(0)} ms in all${t.ops ? `, ${t.ops} storage ops` : ''}`,
      ),
  ];
}

/** One federation request a Node peer made of the extension, on the wall clock (trace.ts `wallClock`). */
export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly sent: number;
  readonly answered: number;
}

/**
 * Where each request's time went outside the worker's handler, cut at the
 * node's spans (its read of the request, from its first bytes; its hop to
 * the worker and back) and the worker's handler span: each step's median
 * over the requests traced whole. "sender → node reads" is the sender's
 * encoding and sending, the wire, and the node's decrypting and demuxing
 * until the request's first bytes; "node → sender" the node's answer back to
 * the sender's `request` returning.
 */
export function describeExchanges(exchanges: readonly Exchange[], spans: readonly Span[]): string[] {
  const byName = new Map(spans.map((s) => [s.name, s]));
  const rows: Steps[] = [];
  for (const x of exchanges) {
    const read = byName.get(`wire< request ${x.path}`);
    const node = byName.get(`node fed< ${x.method} ${x.path}`);
    const worker = byName.get(`fed< ${x.method} ${x.path}`);
    if (!read || !node || !worker) continue;
    rows.push({
      whole: x.answered - x.sent,
      'sender → node reads': read.start - x.sent,
      'node reads request': read.end - read.start,
      'node parses, gate': node.start - read.end,
      'node → worker': worker.start - node.start,
      'worker handler': worker.end - worker.start,
      'worker → node': node.end - worker.end,
      'node → sender': x.answered - node.end,
      'outside the handler': x.answered - x.sent - (worker.end - worker.start),
    });
  }
  if (rows.length === 0) return ['  exchanges: none traced whole'];
  const median = (name: string) =>
    quantile(
      rows.map((r) => r[name]!).sort((x, y) => x - y),
      0.5,
    );
  return [
    `  per request, median of ${rows.length} traced whole, ms:`,
    ...Object.keys(rows[0]!).map((name) => `    ${name.padEnd(22)}${median(name).toFixed(2).padStart(7)}`),
  ];
}

export interface Delivery {
  readonly sent: number;
  readonly arrived: number;
}

const kindOf = (span: Span) => span.name.split(' ')[0]!;

/** Per side, the spans of each delivery's window; prints the median message's timeline and the counts. */
export function describeDeliveries(deliveries: readonly Delivery[], sides: Record<string, Span[]>): string[] {
  const lines: string[] = [];
  const order = deliveries.map((_, i) => i).sort((x, y) => latency(deliveries[x]!) - latency(deliveries[y]!));
  const median = order[Math.floor(order.length / 2)]!;
  const totals: Record<string, { count: number[]; ms: number[] }> = {};
  deliveries.forEach((d, i) => {
    for (const [side, spans] of Object.entries(sides)) {
      const inside = spans.filter((s) => s.start >= d.sent && s.start < d.arrived);
      const perKind = new Map<string, { count: number; ms: number }>();
      for (const s of inside) {
        const k = `${side} ${kindOf(s)}`;
        const t = perKind.get(k) ?? { count: 0, ms: 0 };
        t.count++;
        t.ms += s.end - s.start;
        perKind.set(k, t);
      }
      for (const [k, t] of perKind) {
        const total = totals[k] ?? { count: [], ms: [] };
        totals[k] = total;
        total.count.push(t.count);
        total.ms.push(t.ms);
      }
      if (i === median) {
        lines.push(`  median message (${latency(d).toFixed(1)} ms), ${side}:`);
        for (const s of inside) {
          const ops = s.requests === undefined ? '' : ` ${s.requests.length} ops`;
          lines.push(
            `    +${(s.start - d.sent).toFixed(1)} ms ${s.name}: ${(s.end - s.start).toFixed(1)} ms${ops}`,
          );
          if (s.requests?.length) lines.push(`      ${tally(s.requests)}`);
          const parts = timelineOf(s);
          if (parts && s.requests?.length) lines.push(`      ${describeTimeline(parts)}`);
        }
      }
    }
  });
  for (const [k, t] of Object.entries(totals).sort()) {
    const n = deliveries.length;
    const count = t.count.reduce((a, b) => a + b, 0) / n;
    const ms = t.ms.reduce((a, b) => a + b, 0) / n;
    lines.push(`  per message, ${k}: ${count.toFixed(1)} spans, ${ms.toFixed(1)} ms`);
  }
  return lines;
}

/** A write's course, ms after its function was called (trace.ts `timeline`): each part where there was one. */
export interface WriteParts {
  readonly firstIssued?: number;
  readonly lastIssued?: number;
  readonly firstAnswered?: number;
  readonly lastAnswered?: number;
  readonly holdAsked?: number;
  readonly checksSettled?: number;
  readonly holdAnswered?: number;
  readonly returned?: number;
  readonly committed: number;
}

export function timelineOf(span: Span): WriteParts | undefined {
  const { timeline, opened, returned } = span;
  if (!timeline || opened === undefined) return undefined;
  const after = (at: number | undefined) => (at === undefined ? undefined : at - opened);
  const answers = timeline.answered.filter((at): at is number => at !== undefined);
  return {
    firstIssued: after(timeline.issued[0]),
    lastIssued: after(timeline.issued.at(-1)),
    firstAnswered: after(answers.length ? Math.min(...answers) : undefined),
    lastAnswered: after(answers.length ? Math.max(...answers) : undefined),
    holdAsked: after(timeline.hold?.asked),
    checksSettled: after(timeline.hold?.settled),
    holdAnswered: after(timeline.hold?.answered),
    returned: after(returned),
    committed: span.end - opened,
  };
}

const PART_NAMES: Record<keyof WriteParts, string> = {
  firstIssued: 'first request',
  lastIssued: 'last request',
  firstAnswered: 'first answer',
  lastAnswered: 'last answer',
  holdAsked: 'hold asked',
  checksSettled: 'its work settled',
  holdAnswered: 'hold answered',
  returned: 'returned',
  committed: 'committed',
};

/** "first request +0.2, …, committed +6.6" (ms after the write's function was called). */
function describeTimeline(parts: WriteParts): string {
  return (Object.keys(PART_NAMES) as (keyof WriteParts)[])
    .filter((k) => parts[k] !== undefined)
    .map((k) => `${PART_NAMES[k]} +${parts[k]!.toFixed(1)}`)
    .join(', ');
}

/** The p50 of each part over `writes` (e.g. a received transaction's placing writes), one line. */
export function describeTimelines(writes: readonly Span[]): string {
  const all = writes.map(timelineOf).filter((p): p is WriteParts => p !== undefined);
  if (all.length === 0) return 'no write traced with its timeline';
  const p50: Partial<Record<keyof WriteParts, number>> = {};
  for (const k of Object.keys(PART_NAMES) as (keyof WriteParts)[]) {
    const values = all.map((p) => p[k]).filter((v): v is number => v !== undefined);
    if (values.length > all.length / 2)
      p50[k] = quantile(
        values.sort((a, b) => a - b),
        0.5,
      );
  }
  return `${all.length} writes, p50 ms after each was opened: ${describeTimeline(p50 as WriteParts)}`;
}

/** A transaction's requests, each kind once with how many times it was made, in order of the first. */
function tally(requests: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => (n > 1 ? `${r} ×${n}` : r)).join(', ');
}

function latency(d: Delivery): number {
  return d.arrived - d.sent;
}

/** One message's steps, each from the end of the one before to a span's start or end (ms). */
type Steps = Record<string, number>;

/**
 * A message's way cut at its spans: A's send and its write, A's write to B's
 * node (A's worker → A's node → the wire), B's node → B's worker, B's
 * federation handler to its placing write, the write, the woken /sync's
 * read after it (none when answered from memory), and its answer reaching bob's client. Where the pages'
 * spans are there, the send is cut at alice's fetch and at her worker's handler, and the answer at bob's
 * worker answering the /sync and at his page's fetch resolving. Undefined when a span
 * is missing (a message placed by a retry, say).
 */
function stepsOf(d: Delivery, a: readonly Span[], b: readonly Span[]): Steps | undefined {
  const first = (spans: readonly Span[], prefix: string, from: number) =>
    spans.find((s) => s.name.startsWith(prefix) && s.start >= from && s.start < d.arrived);
  const aWrite = first(a, 'w rooms', d.sent);
  const bWire = first(b, 'wire< request', d.sent);
  const bWorker = bWire && first(b, 'fed< PUT', bWire.start);
  const bWrite = bWorker && first(b, 'w rooms', bWorker.start);
  // The woken sync's read starts as the write's commit is reported (IndexedDB's order);
  // a sync answered from what the write committed (sync/sync-view.ts) reads nothing: 0 ms.
  const bRead = bWrite && first(b, 'r ', bWrite.end - 0.001);
  const bSync = bRead ?? (bWrite && { end: bWrite.end });
  if (!aWrite || !bWire || !bWorker || !bWrite || !bSync) return undefined;
  const aNode = first(a, 'node fed> PUT', aWrite.end);
  // The pages' spans (the bench's client page, while traced): fetch called → its Response.
  const aFetch = first(a, 'page PUT', d.sent);
  const aClient = aFetch && first(a, 'client PUT', aFetch.start);
  const ending = (spans: readonly Span[], prefix: string, from: number) =>
    spans.find((s) => s.name.startsWith(prefix) && s.end >= from && s.end <= d.arrived);
  const bAnswer = ending(b, 'client GET /_matrix/client/v3/sync', bSync.end);
  const bPage = bAnswer && ending(b, 'page GET /_matrix/client/v3/sync', bAnswer.end);
  return {
    'A send → its write': aWrite.start - d.sent,
    ...(aFetch &&
      aClient &&
      aClient.start <= aWrite.start && {
        '· A client → fetch': aFetch.start - d.sent,
        '· A fetch → worker': aClient.start - aFetch.start,
        '· A worker → write': aWrite.start - aClient.start,
      }),
    'A write': aWrite.end - aWrite.start,
    ...writeParts('A', aWrite),
    'A write → B node': bWire.start - aWrite.end,
    ...(aNode && {
      '· A write → A node': aNode.start - aWrite.end,
      '· A node → B node': bWire.start - aNode.start,
    }),
    'B node → worker': bWorker.start - bWire.start,
    'B handler → write': bWrite.start - bWorker.start,
    'B write': bWrite.end - bWrite.start,
    ...writeParts('B', bWrite),
    'B woken sync read': bSync.end - bWrite.end,
    'B sync → client': d.arrived - bSync.end,
    ...(bAnswer &&
      bPage && {
        '· B sync answered': bAnswer.end - bSync.end,
        '· B answer → page': bPage.end - bAnswer.end,
        '· B page → client': d.arrived - bPage.end,
      }),
  };
}

/** Every step's name, in the order of the message that has the most (a part after its step). */
function stepNames(all: readonly Steps[]): string[] {
  const fullest = all.reduce((x, y) => (Object.keys(y).length > Object.keys(x).length ? y : x));
  return [...new Set([...Object.keys(fullest), ...all.flatMap((s) => Object.keys(s))])];
}

/** A write's time opening its transaction, on its requests, and committing (trace.ts `opened`, `returned`). */
function writeParts(side: string, write: Span): Steps {
  if (write.opened === undefined || write.returned === undefined) return {};
  return {
    [`· ${side} opening`]: write.opened - write.start,
    [`· ${side} requests`]: write.returned - write.opened,
    [`· ${side} commit`]: write.end - write.returned,
  };
}

/**
 * Each step's p50, p95, p99 and slowest over the messages, and its mean over
 * the slowest tenth of them: what the tail is made of (issue 13 asks for p99).
 */
export function describeSteps(deliveries: readonly Delivery[], sides: { A: Span[]; B: Span[] }): string[] {
  const rows: { total: number; steps: Steps }[] = [];
  for (const d of deliveries) {
    const steps = stepsOf(d, sides.A, sides.B);
    if (steps) rows.push({ total: latency(d), steps });
  }
  if (rows.length === 0) return ['  steps: no message traced whole'];
  const slowest = [...rows].sort((x, y) => y.total - x.total).slice(0, Math.ceil(rows.length / 10));
  const cell = (v: number) => v.toFixed(1).padStart(7);
  const line = (name: string, values: number[], tail: number) => {
    const sorted = [...values].sort((x, y) => x - y);
    const at = (q: number) => quantile(sorted, q);
    return `  ${name.padEnd(20)}${cell(at(0.5))}${cell(at(0.95))}${cell(at(0.99))}${cell(sorted.at(-1)!)}${cell(tail)}`;
  };
  return [
    `  steps of the ${rows.length} messages traced whole, ms; the last column: mean over the slowest tenth`,
    `  ${''.padEnd(20)}    p50    p95    p99    max  slow10`,
    line(
      'whole',
      rows.map((r) => r.total),
      mean(slowest.map((r) => r.total)),
    ),
    // A `·` row is a part of the step above it (in the messages whose spans split it).
    ...stepNames(rows.map((r) => r.steps)).map((name) => {
      const valueIn = (r: (typeof rows)[number]) => r.steps[name];
      const values = (list: typeof rows) => list.map(valueIn).filter((v) => v !== undefined);
      return line(name, values(rows), mean(values(slowest)));
    }),
  ];
}
