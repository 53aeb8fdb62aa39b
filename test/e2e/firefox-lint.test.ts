// The Firefox build passes Mozilla's add-on linter (web-ext lint) with no
// errors and no warnings (issue 12: the popup bundle's innerHTML assignment,
// taken out by scripts/no-raw-html-plugin.ts, and the minimum versions that
// did not know data_collection_permissions). Runs offline.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import webExt from 'web-ext';

test('web-ext lint finds no errors and no warnings in dist/firefox', async () => {
  const report = await webExt.cmd.lint(
    { sourceDir: resolve(import.meta.dirname, '../../dist/firefox'), output: 'none', boring: true },
    { shouldExitProgram: false },
  );
  const findings = [...report.errors, ...report.warnings].map(
    (e) => `${e.code}: ${e.message} (${e.file ?? ''})`,
  );
  assert.deepEqual(findings, []);
  assert.equal(report.summary.errors, 0);
  assert.equal(report.summary.warnings, 0);
});
