// Runs the end-to-end tests (test/e2e) inside a network namespace of their
// own with only loopback up, so that no browser under test can send a packet
// off the machine and its calls home fail at once. The namespace is deleted
// afterwards, whatever happened. Needs root and iproute2 (`ip`), as on the
// development machines and in CI.
import { spawnSync } from 'node:child_process';
import { existsSync, globSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const namespace = `p2pm-${process.pid}`;
const TEST_HANG_GUARD_MS = 3 * 60_000;

function ip(...args: string[]): void {
  const result = spawnSync('ip', args, { stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`ip ${args.join(' ')} failed (${result.error?.message ?? result.status})`);
}

function runFile(file: string): number {
  const result = spawnSync(
    'ip',
    [
      'netns',
      'exec',
      namespace,
      process.execPath,
      '--test',
      '--test-concurrency=1',
      // A browser that hangs must not hold CI: each test has a hang guard, and the run ends when they do.
      `--test-timeout=${TEST_HANG_GUARD_MS}`,
      file,
    ],
    { stdio: 'inherit' },
  );
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/**
 * Runs each file in its own process. A file that fails is run once more and
 * the retry is announced; the run ends with the files that passed only on
 * their retry, so that a file that fails half the time is seen, not hidden.
 * A file that fails twice fails the run.
 */
function runTests(extraArgs: string[]): number {
  const patterns = extraArgs.length > 0 ? extraArgs : ['test/e2e/**/*.test.ts'];
  const files = patterns.flatMap((pattern) => globSync(pattern)).sort();
  const failed: string[] = [];
  const leftOut = files.flatMap((file) => {
    const missing = missingNeeds(file);
    return missing.length > 0 ? [`${file}: needs ${missing.join(', ')}, not on this machine`] : [];
  });
  for (const line of leftOut) console.error(`run-e2e: LEFT OUT ${line}`);
  const flaky: string[] = [];
  for (const file of files) {
    if (leftOut.some((line) => line.startsWith(`${file}:`))) continue;
    if (runFile(file) === 0) continue;
    console.error(`run-e2e: RETRYING ${file} once after a failure`);
    if (runFile(file) === 0) flaky.push(file);
    else failed.push(file);
  }
  console.error(
    `run-e2e: ${files.length - leftOut.length} files run, ${flaky.length} passed only on their retry${flaky.length > 0 ? `: ${flaky.join(', ')}` : ''}`,
  );
  if (failed.length > 0) console.error(`run-e2e: failed twice: ${failed.join(', ')}`);
  // Said again at the end, where a reader of the run looks.
  for (const line of leftOut) console.error(`run-e2e: LEFT OUT ${line}`);
  return failed.length > 0 ? 1 : 0;
}

/**
 * What a test file needs from outside the repository and this machine lacks.
 * A file declares it in `// e2e-needs: <path>` lines (relative to the
 * repository's root), e.g. the built Element Web in ../shared/clients that CI
 * places beside the clone. Such a file is not run without it, and the run
 * says so plainly, first and last: never a silent skip.
 */
function missingNeeds(file: string): string[] {
  const needs = [...readFileSync(file, 'utf8').matchAll(/^\/\/ e2e-needs: (\S+)$/gm)].map((m) => m[1]!);
  return needs.filter((need) => !existsSync(resolve(import.meta.dirname, '..', need)));
}

let status = 1;
ip('netns', 'add', namespace);
try {
  ip('-n', namespace, 'link', 'set', 'lo', 'up');
  status = runTests(process.argv.slice(2));
} catch (err) {
  console.error(`run-e2e: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  ip('netns', 'delete', namespace);
}
process.exit(status);
