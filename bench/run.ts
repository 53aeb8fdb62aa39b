// Runs every bench/*.bench.ts (the Node ones timing the homeserver first,
// alone; then the other Node ones in turn, the browser ones in turn beside
// them, and those that time the browser alone after, see the end): each module's default export is an
// async function that measures and prints, or returns its figures as a
// record (printed here, one `name: value` line each); figures that have a
// goal are also recorded with `measured()` (bench/table.ts). At the end one
// table: measure, goal, now, met or missed, also written as JSON to
// bench/results/ (a full run of every bench also to last-full.json, the one
// kept in git, which the README's table shows). `node bench/run.ts protocol`
// runs only the files whose name contains "protocol"; `--quick` runs the
// short version (under three minutes: smaller sizes, and the benches with no
// goal row left out).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { describeMachine, machineFacts } from './machine.ts';
import { measured, measuredFigures, quick, renderTable, tableRows } from './table.ts';

type Bench = { default?: () => unknown };

/** Benches with no row in the final table, or only rows without a goal and minutes long (calls): left out of `--quick`. */
const NOT_IN_QUICK = [
  'calls',
  'directory',
  'search-extension',
  'media',
  'page-media',
  'protocol',
  'remote-media',
  'search',
  'storage',
  'webrtc-turn',
];

/**
 * Benches that launch browsers: each runs in a child process holding
 * /tmp/p2pm-browsers.lock (one browser run at a time on a shared machine),
 * which hands its figures back on one line.
 */
const BROWSERS = [
  'big-room-browsers',
  'big-room-extension',
  'calls',
  'extension',
  'extension-ingest',
  'extension-startup',
  'idb-requests',
  'media',
  'page-media',
  'search-extension',
  'webrtc-turn',
  'worker-memory',
];
/**
 * Browser benches whose figures are a latency, a rate or a heap peak that a
 * Node bench beside them would set as much as the code does (on two cores the
 * Node ingest takes both; a worker never idle collects its garbage later):
 * they run after the Node benches, alone, as a user's browser runs.
 */
const ALONE = ['extension', 'extension-ingest', 'extension-startup', 'worker-memory'];
/**
 * Node benches whose goals are a latency or a rate of the Node homeserver
 * (send → sync, initial sync, Node's ingest): beside a browser bench (two
 * Chromiums, or Element) they read what the browsers leave of two cores, two
 * to six times their figure alone (initial sync 300 ms in a full run, 31-61
 * ms alone). They run first, before any browser bench starts.
 */
const NODE_FIRST = ['homeserver', 'federation'];
const BROWSER_LOCK = '/tmp/p2pm-browsers.lock';
const FIGURES_LINE = 'P2PM-BENCH-FIGURES ';

const directory = new URL('./', import.meta.url);
const child = process.argv.find((arg) => arg.startsWith('--child='))?.slice('--child='.length);
if (child !== undefined) {
  // Run by the parent below: one bench, its figures on the last line.
  await runBench(child);
  console.log(`${FIGURES_LINE}${JSON.stringify(measuredFigures())}`);
  process.exit(0);
}

/** Runs one bench file and prints what it returns. */
async function runBench(file: string): Promise<void> {
  const bench = (await import(new URL(file, directory).href)) as Bench;
  if (typeof bench.default !== 'function') throw new Error(`${file} has no default export to run`);
  const figures = await bench.default();
  if (figures && typeof figures === 'object') {
    for (const [name, value] of Object.entries(figures)) {
      const shown = typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(2) : value;
      console.log(`${name}: ${shown}`);
    }
  }
}

/**
 * A browser bench in a child process under the browsers' lock; its figures
 * recorded here, its lines printed with `prefix` (the browser benches run
 * beside the Node ones).
 */
async function runUnderBrowserLock(file: string, prefix: string): Promise<void> {
  const args = [BROWSER_LOCK, process.execPath, new URL('run.ts', directory).pathname, `--child=${file}`];
  if (quick) args.push('--quick');
  const proc = spawn('flock', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const lines = out.split('\n');
    out = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith(FIGURES_LINE))
        for (const [id, value] of JSON.parse(line.slice(FIGURES_LINE.length)) as [string, number][])
          measured(id, value);
      else console.log(`${prefix}${line}`);
    }
  });
  const code = await new Promise<number | null>((resolve) => proc.once('close', resolve));
  if (code !== 0) throw new Error(`${file} exited with ${code}`);
}

const only = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
/** A bench's name, as the lists above and the command line give it: its file's without `.bench.ts`. */
const benchName = (file: string) => file.replace(/\.bench\.ts$/, '');
const benches = (await readdir(directory)).filter((name) => name.endsWith('.bench.ts'));
/** A name that is a bench's own runs that bench alone ("extension" is not also "extension-ingest"); any other runs every bench containing it. */
const chosen = (name: string) =>
  !only || (benches.includes(`${only}.bench.ts`) ? name === `${only}.bench.ts` : name.includes(only));
const files = benches
  .filter(chosen)
  .filter((name) => !quick || only || !NOT_IN_QUICK.includes(benchName(name)))
  .sort();

const started = Date.now();
// Read before any bench loads the machine.
const machine = await machineFacts().catch((err: unknown) => ({ error: String(err) }));
const machineLine = 'error' in machine ? `machine: not read (${machine.error})` : describeMachine(machine);
console.log(machineLine);
const failures: string[] = [];
const isBrowserBench = (file: string) => BROWSERS.includes(benchName(file));

/** Runs `files` one after the other; a bench failing leaves the others' rows (the table says what is missing). */
async function runAll(files: readonly string[], prefix: (file: string) => string): Promise<void> {
  for (const file of files) {
    const p = prefix(file);
    console.log(`\n${p}=== ${benchName(file)} ===`);
    const t0 = performance.now();
    try {
      if (isBrowserBench(file)) await runUnderBrowserLock(file, p);
      else await runBench(file);
    } catch (error) {
      failures.push(file);
      console.log(`${p}FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    console.log(`${p}(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

// The browser benches wait for the machine's browsers' lock, which other work
// holds for minutes at a time; they run one after the other beside the Node
// benches (their lines prefixed with their name), so that a full run is not
// the sum of its benches and every wait for the lock, but for those ALONE
// names, which wait for the Node benches to end (the other browser benches
// take longer than the Node ones, so a full run takes no longer for it).
// NODE_FIRST's benches run before, with nothing of this run beside them.
const first = (file: string) => NODE_FIRST.includes(benchName(file));
await runAll(files.filter(first), () => '');
const nodeBenches = runAll(
  files.filter((file) => !isBrowserBench(file) && !first(file)),
  () => '',
);
const alone = (file: string) => ALONE.includes(benchName(file));
const browserPrefix = (file: string) => `[${benchName(file)}] `;
await Promise.all([
  nodeBenches,
  (async () => {
    await runAll(
      files.filter((file) => isBrowserBench(file) && !alone(file)),
      browserPrefix,
    );
    await nodeBenches;
    await runAll(
      files.filter((file) => isBrowserBench(file) && alone(file)),
      browserPrefix,
    );
  })(),
]);

const rows = tableRows();
const seconds = (Date.now() - started) / 1000;
// A run of some benches only (`node bench/run.ts extension`) says which: its table is not the full run's.
const kind = `${quick ? 'quick' : 'full'} run${only ? ` of the benches named "${only}"` : ''}`;
console.log(`\n=== goals (${kind}, ${seconds.toFixed(0)} s) ===`);
console.log(renderTable(rows));
console.log(machineLine);
if (failures.length > 0) console.log(`failed: ${failures.join(', ')}`);

const results = new URL('./results/', import.meta.url);
mkdirSync(results, { recursive: true });
const at = new Date(started).toISOString();
const name = `${at.replace(/[:.]/g, '-')}-${quick ? 'quick' : 'full'}${only ? `-${only}` : ''}.json`;
const record = { at, quick, only: only ?? null, host: hostname(), machine, seconds, failures, rows };
const json = `${JSON.stringify(record, null, 2)}\n`;
writeFileSync(new URL(name, results), json);
console.log(`written: bench/results/${name}`);
// The one kept in git: the last full run of every bench, which the README's table shows.
if (!quick && !only) writeFileSync(new URL('last-full.json', results), json);
if (failures.length > 0) process.exitCode = 1;
