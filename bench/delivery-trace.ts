// Where a browser → browser message's time goes: the spans both workers
// recorded (src/platform/trace.ts: storage transactions, client requests,
// federation requests) cut into one window per message, from the send until
// B's client had it, and summed per kind. Printed by the extension bench.
import type { Worker } from 'playwright-core';
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
    total.ops += span.ops ?? 0;
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
          const ops = s.ops === undefined ? '' : ` ${s.ops} ops`;
          lines.push(
            `    +${(s.start - d.sent).toFixed(1)} ms ${s.name}: ${(s.end - s.start).toFixed(1)} ms${ops}`,
          );
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

function latency(d: Delivery): number {
  return d.arrived - d.sent;
}
