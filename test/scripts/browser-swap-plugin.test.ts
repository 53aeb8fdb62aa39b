import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { browserSwapPlugin } from '../../scripts/browser-swap-plugin.ts';

test('a browser build takes x.<browser>.ts instead of x.ts where one exists', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swap-'));
  try {
    writeFileSync(
      join(dir, 'entry.ts'),
      "import { which } from './which.ts'; import { same } from './same.ts'; console.log(which, same);",
    );
    writeFileSync(join(dir, 'which.ts'), "export const which = 'default';");
    writeFileSync(join(dir, 'which.firefox.ts'), "export const which = 'firefox';");
    writeFileSync(join(dir, 'same.ts'), "export const same = 'shared';");
    const bundle = async (browser: string) => {
      const out = await build({
        absWorkingDir: dir,
        entryPoints: ['entry.ts'],
        bundle: true,
        write: false,
        plugins: [browserSwapPlugin(browser)],
        logLevel: 'silent',
      });
      return out.outputFiles[0]!.text;
    };
    const firefox = await bundle('firefox');
    const chrome = await bundle('chrome');
    assert.match(firefox, /"firefox"/);
    assert.doesNotMatch(firefox, /"default"/);
    assert.match(chrome, /"default"/);
    assert.match(firefox, /"shared"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
