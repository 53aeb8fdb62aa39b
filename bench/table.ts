// The bench's final table (issue 13): every goal the issues set, what this
// run measured for it, and whether it is met. A bench records a figure with
// `measured(id, value)`; a goal's row reads it by the same id. Rows whose
// bench did not run (filtered out, skipped without Chromium) say so. To add a
// measure: a row in GOALS and a `measured()` call in the bench that takes it.

export interface Goal {
  /** What `measured()` is called with. */
  readonly id: string;
  /** The row's name in the table. */
  readonly measure: string;
  readonly unit: 'ms' | '/s' | 'KB' | 'MB' | '×';
  /** Met when the figure is at most this… */
  readonly atMost?: number;
  /** …or at least this; neither: a figure shown without a goal. */
  readonly atLeast?: number;
  /** The issue that set the goal. */
  readonly issue: number;
}

export const GOALS: readonly Goal[] = [
  {
    id: 'hs.send-sync.p50',
    measure: "send → other user's /sync, one Node homeserver, p50",
    unit: 'ms',
    atMost: 5,
    issue: 3,
  },
  {
    id: 'hs.initial-sync.100x100',
    measure: 'initial sync, 100 rooms × 100 events',
    unit: 'ms',
    atMost: 250,
    issue: 3,
  },
  {
    id: 'fed.send-sync.libp2p.p50',
    measure: 'send on A → /sync on B, Node, libp2p, p50',
    unit: 'ms',
    atMost: 5,
    issue: 6,
  },
  {
    id: 'fed.ingest.node',
    measure: 'PDUs received, checked and persisted, Node',
    unit: '/s',
    atLeast: 10_000,
    issue: 13,
  },
  {
    id: 'fed.ingest.node.parallel',
    measure: 'PDUs received, Node, 4 rooms in parallel',
    unit: '/s',
    issue: 13,
  },
  {
    id: 'ext.ingest',
    measure: 'PDUs received in the extension (IndexedDB, Chromium)',
    unit: '/s',
    atLeast: 3_000,
    issue: 13,
  },
  {
    id: 'idb.requests.ratio',
    measure: 'IndexedDB in the worker: 50 event rows as 50 adds ÷ as one record with their index keys, p50',
    unit: '×',
    issue: 13,
  },
  {
    id: 'ext.send-sync.p50',
    measure: "send in browser A → browser B's /sync, WebRTC, p50",
    unit: 'ms',
    atMost: 15,
    issue: 13,
  },
  {
    id: 'ext.send-sync.p99',
    measure: "send in browser A → browser B's /sync, WebRTC, p99",
    unit: 'ms',
    atMost: 100,
    issue: 13,
  },
  {
    id: 'ext.first-after-meet.max',
    measure: 'the first ten messages after two browsers meet, slowest',
    unit: 'ms',
    atMost: 1_000,
    issue: 13,
  },
  {
    id: 'ext.versions.p50',
    measure: 'page → homeserver through the content script, p50',
    unit: 'ms',
    atMost: 1,
    issue: 13,
  },
  {
    id: 'ext.cold-start.p50',
    measure: 'worker cold start → first /versions, p50',
    unit: 'ms',
    atMost: 150,
    issue: 13,
  },
  {
    id: 'ext.shipped-js',
    measure: 'shipped JavaScript, gzip (Chrome build)',
    unit: 'KB',
    atMost: 800,
    issue: 13,
  },
  {
    id: 'join.big.node',
    measure: 'join 1,000 members / 10,000 events + first page, Node ↔ Node',
    unit: 'ms',
    atMost: 3_000,
    issue: 13,
  },
  {
    id: 'join.big.browser',
    measure: 'join 1,000 members / 10,000 events + first page, browser ↔ browser',
    unit: 'ms',
    atMost: 6_000,
    issue: 13,
  },
  {
    id: 'join.big.node-browser',
    measure: 'join 1,000 members / 10,000 events + first page, Node peer → extension',
    unit: 'ms',
    issue: 13,
  },
  {
    id: 'memory.worker-heap',
    measure: 'service worker JS heap, 100 rooms × 1,000 events',
    unit: 'MB',
    atMost: 64,
    issue: 13,
  },
  {
    id: 'memory.serve-rss',
    measure: '`serve` RSS, 100 rooms × 1,000 events',
    unit: 'MB',
    atMost: 150,
    issue: 13,
  },
  {
    id: 'growth.send-sync.rooms',
    measure: "send → sync vs rooms in sync, growth 100 → 1,000 (quick: 200) ÷ n log n's",
    unit: '×',
    atMost: 1,
    issue: 13,
  },
  {
    id: 'growth.send-sync.members',
    measure: "send → sync vs room members, growth 100 → 1,000 (quick: 200) ÷ n log n's",
    unit: '×',
    atMost: 1,
    issue: 13,
  },
  {
    id: 'growth.initial-sync.rooms',
    measure: "initial sync vs rooms, growth 100 → 1,000 (quick: 200) ÷ n log n's",
    unit: '×',
    atMost: 1,
    issue: 13,
  },
  {
    id: 'growth.initial-sync.members',
    measure: "initial sync vs room members, growth 100 → 1,000 (quick: 200) ÷ n log n's",
    unit: '×',
    atMost: 1,
    issue: 13,
  },
  {
    id: 'backfill.first-page',
    measure: 'joiner shows the first page of history, 10,000-event room',
    unit: 'ms',
    issue: 14,
  },
  { id: 'backfill.rate', measure: 'backfill, events placed per second', unit: '/s', issue: 14 },
  { id: 'state-res.1000', measure: 'state resolution, 1,000 members, 200 conflicted', unit: 'ms', issue: 6 },
  {
    id: 'search.node.common.p50',
    measure: 'search for a common word, 100,000 events, Node, p50',
    unit: 'ms',
    atMost: 50,
    issue: 17,
  },
  {
    id: 'search.ext.common.p50',
    measure: 'search for a common word, 100,000 events, extension, p50',
    unit: 'ms',
    atMost: 200,
    issue: 17,
  },
  {
    id: 'call.setup.direct.p50',
    measure: 'Element 1:1 call, ringing → connected, direct, p50',
    unit: 'ms',
    issue: 17,
  },
  {
    id: 'call.setup.turn.p50',
    measure: "Element 1:1 call, ringing → connected, through the relay's TURN, p50",
    unit: 'ms',
    issue: 17,
  },
  {
    id: 'p2p.webrtc.direct',
    measure: 'two browsers met through the relay → WebRTC connection, direct',
    unit: 'ms',
    issue: 17,
  },
  {
    id: 'p2p.webrtc.turn',
    measure:
      "two browsers met through the relay → WebRTC connection, no route between them: the relay's TURN",
    unit: 'ms',
    issue: 17,
  },
  {
    id: 'search.node.ingest.indexed',
    measure: 'PDUs received, Node, messages indexed for search (paired)',
    unit: '/s',
    issue: 17,
  },
  {
    id: 'search.node.ingest.unindexed',
    measure: 'PDUs received, Node, the same messages not indexed (paired)',
    unit: '/s',
    issue: 17,
  },
  {
    id: 'search.node.index.mb',
    measure: 'search index, 100,000 messages, Node (SQLite)',
    unit: 'MB',
    issue: 17,
  },
  {
    id: 'search.ext.ingest.indexed',
    measure: 'PDUs received, extension, messages indexed for search (paired)',
    unit: '/s',
    issue: 17,
  },
  {
    id: 'search.ext.ingest.unindexed',
    measure: 'PDUs received, extension, the same messages not indexed (paired)',
    unit: '/s',
    issue: 17,
  },
  {
    id: 'attack.edus.send-sync.p50-ratio',
    measure: 'send → /sync, one Node homeserver, during an EDU flood from 3 hostile peers ÷ quiet, p50',
    unit: '×',
    atMost: 3,
    issue: 12,
  },
  {
    id: 'attack.invites.send-sync.p50-ratio',
    measure: 'send → /sync, one Node homeserver, during an invite flood from 3 hostile peers ÷ quiet, p50',
    unit: '×',
    atMost: 3,
    issue: 12,
  },
  {
    id: 'attack.requests.send-sync.p50-ratio',
    measure: 'send → /sync, one Node homeserver, during a request flood from 3 hostile peers ÷ quiet, p50',
    unit: '×',
    atMost: 3,
    issue: 12,
  },
  {
    id: 'attack.send-sync.p50-ratio',
    measure: 'send → /sync, one Node homeserver, during a flood from 3 hostile peers ÷ quiet, p50',
    unit: '×',
    issue: 12,
  },
  {
    id: 'attack.send-sync.p95-ratio',
    measure: 'send → /sync, one Node homeserver, during a flood from 3 hostile peers ÷ quiet, p95',
    unit: '×',
    issue: 12,
  },
];

const figures = new Map<string, number>();

/** Records this run's figure for a goal's id (the last call wins). */
export function measured(id: string, value: number): void {
  if (!GOALS.some((goal) => goal.id === id)) throw new Error(`no goal row "${id}" in bench/table.ts`);
  figures.set(id, value);
}

/** This run's figures so far (id → value). */
export function measuredFigures(): [string, number][] {
  return [...figures];
}

/** `npm run bench -- --quick` (or P2PM_BENCH_QUICK=1): smaller runs, under three minutes in all. */
export const quick = process.argv.includes('--quick') || process.env.P2PM_BENCH_QUICK === '1';

export type Status = 'met' | 'missed' | 'measured' | 'not measured';

export interface Row {
  readonly id: string;
  readonly measure: string;
  readonly goal: string;
  readonly now: string;
  readonly value: number | null;
  readonly unit: string;
  readonly status: Status;
  readonly issue: number;
}

function shown(value: number, unit: Goal['unit']): string {
  const digits = unit === '×' ? 2 : Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const number = value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit === '×' ? `${number}×` : `${number} ${unit}`.replace(' /s', '/s');
}

function goalText(goal: Goal): string {
  const bound = goal.atMost ?? goal.atLeast;
  if (bound === undefined) return '';
  const number = bound.toLocaleString('en');
  const value =
    goal.unit === '×' ? `${number}×` : goal.unit === '/s' ? `${number}/s` : `${number} ${goal.unit}`;
  return `${goal.atMost !== undefined ? '≤' : '≥'} ${value}`;
}

function statusOf(goal: Goal, value: number | undefined): Status {
  if (value === undefined) return 'not measured';
  if (goal.atMost !== undefined) return value <= goal.atMost ? 'met' : 'missed';
  if (goal.atLeast !== undefined) return value >= goal.atLeast ? 'met' : 'missed';
  return 'measured';
}

export function tableRows(): Row[] {
  return GOALS.map((goal) => {
    const value = figures.get(goal.id);
    return {
      id: goal.id,
      measure: goal.measure,
      goal: goalText(goal),
      now: value === undefined ? '—' : shown(value, goal.unit),
      value: value ?? null,
      unit: goal.unit,
      status: statusOf(goal, value),
      issue: goal.issue,
    };
  });
}

/** The rows as a Markdown table (the README's table is this, pasted from the last full run). */
export function renderTable(rows: readonly Row[]): string {
  const header = ['measure', 'goal', 'now', ''];
  const cells = rows.map((row) => [row.measure, row.goal, row.now, row.status]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (cols: string[]) => `| ${cols.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
