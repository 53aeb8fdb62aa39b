// The Firefox build passes Mozilla's add-on linter (web-ext lint) with no
// errors. Runs offline.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const root = resolve(import.meta.dirname, '../..');

interface LintReport {
  readonly count: number;
  readonly summary: { readonly errors: number; readonly warnings: number };
  readonly errors: readonly { readonly code: string; readonly message: string }[];
}

test('web-ext lint finds no errors in dist/firefox', async () => {
  const webExt = resolve(root, 'node_modules/.bin/web-ext');
  const { stdout } = await promisify(execFile)(
    webExt,
    ['lint', '--source-dir', resolve(root, 'dist/firefox'), '--output', 'json', '--no-input'],
    { cwd: root, maxBuffer: 16 * 1024 * 1024 },
  ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const report = JSON.parse(stdout) as LintReport;
  assert.deepEqual(
    report.errors.map((e) => `${e.code}: ${e.message}`),
    [],
  );
  assert.equal(report.summary.errors, 0);
});
