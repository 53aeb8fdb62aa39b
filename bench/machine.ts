// What the machine itself costs, read at the start of a run and kept with
// its figures (bench/results/*.json `machine`, printed above the table): the
// benches run on shared virtual machines that differ from one session to the
// next, and a figure that moved may have moved with the machine, not the
// code (README "Scale", the ninth pass: the same code read the extension's
// ingest 2.2× slower on a machine whose system calls cost about 1 µs, Node's
// ingest alone unchanged). Two costs to compare between runs, beside the
// CPU's name and the browser's version: a system call (fstat, from Node,
// with Node's own cost around it), and a message to another thread and back
// (the browsers' IPC is both). A machine that cannot be read (run.ts) leaves
// the reason in its place; the benches run all the same.
import { execFileSync } from 'node:child_process';
import { fstatSync, openSync, closeSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CHROMIUM_PATH } from '../scripts/harness/extension-browser.ts';
import { quantile } from './bench-homeserver.ts';

export interface MachineFacts {
  readonly cpu: string;
  readonly cores: number;
  /** Node's fstatSync of /dev/null (the system call, and Node's binding and Stats around it), ns, the mean of 200,000. */
  readonly fstatNs: number;
  /** A message to a Node worker thread and its echo back, µs, p50 of 2,000. */
  readonly threadEchoUs: number;
  readonly loadAverage: number;
  /** `chromium --version`, or why it is not known. */
  readonly chromium: string;
}

export async function machineFacts(): Promise<MachineFacts> {
  const fd = openSync('/dev/null', 'r');
  const calls = 200_000;
  for (let i = 0; i < 20_000; i++) fstatSync(fd);
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fstatSync(fd);
  const fstatNs = ((performance.now() - t0) * 1e6) / calls;
  closeSync(fd);
  const worker = new Worker(
    "require('node:worker_threads').parentPort.on('message', function (m) { this.postMessage(m); });",
    { eval: true },
  );
  const echoes: number[] = [];
  // A worker that dies fails the reading instead of leaving it waiting.
  let died: ((err: Error) => void) | undefined;
  worker.on('error', (err) => died?.(err));
  worker.on('exit', (code) => died?.(new Error(`the echo thread exited with ${code}`)));
  try {
    for (let i = 0; i < 2_100; i++) {
      const sent = performance.now();
      await new Promise((resolve, reject) => {
        died = reject;
        worker.once('message', resolve);
        worker.postMessage(i);
      });
      // The first hundred warm both threads up.
      if (i >= 100) echoes.push((performance.now() - sent) * 1000);
    }
  } finally {
    died = undefined;
    await worker.terminate();
  }
  echoes.sort((a, b) => a - b);
  let chromium: string;
  try {
    chromium = execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch (err) {
    chromium = `not known (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    fstatNs: Math.round(fstatNs),
    threadEchoUs: Math.round(quantile(echoes, 0.5)),
    loadAverage: Number(loadavg()[0]!.toFixed(2)),
    chromium,
  };
}

export const describeMachine = (m: MachineFacts): string =>
  `machine: ${m.cpu}, ${m.cores} cores, an fstat from Node ${m.fstatNs} ns, a message to a thread and back ${m.threadEchoUs} µs p50, load ${m.loadAverage}; ${m.chromium}`;
