// `npm run package`: store-ready zips of the built extension (run after
// `npm run build`): dist/p2p-matrix-chrome.zip for the Chrome Web Store and
// dist/p2p-matrix-firefox.zip for addons.mozilla.org, both made by web-ext's
// builder (the Firefox one is what `web-ext build` makes). Source maps stay
// out of the packages.
import { existsSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import webExt from 'web-ext';

const dist = resolve(import.meta.dirname, '../dist');
const IGNORED = ['*.map', '**/*.map'];

async function zip(browser: 'chrome' | 'firefox'): Promise<string> {
  const sourceDir = join(dist, browser);
  if (!existsSync(join(sourceDir, 'manifest.json')))
    throw new Error(`${sourceDir} is missing: run npm run build`);
  const filename = `p2p-matrix-${browser}.zip`;
  const result = await webExt.cmd.build(
    { sourceDir, artifactsDir: dist, filename, overwriteDest: true, ignoreFiles: IGNORED },
    { shouldExitProgram: false },
  );
  const target = join(dist, filename);
  if (result.extensionPath !== target) renameSync(result.extensionPath, target);
  return target;
}

for (const browser of ['chrome', 'firefox'] as const) console.log(`packaged ${await zip(browser)}`);
