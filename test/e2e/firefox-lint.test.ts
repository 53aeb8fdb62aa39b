// The Firefox build passes Mozilla's add-on linter (web-ext lint) with no
// errors. Runs offline.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import webExt from 'web-ext';

test('web-ext lint finds no errors in dist/firefox', async () => {
  const report = await webExt.cmd.lint(
    { sourceDir: resolve(import.meta.dirname, '../../dist/firefox'), output: 'none', boring: true },
    { shouldExitProgram: false },
  );
  assert.deepEqual(
    report.errors.map((e) => `${e.code}: ${e.message}`),
    [],
  );
  assert.equal(report.summary.errors, 0);
});
