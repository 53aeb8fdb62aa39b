// What an extension bench needs that this machine may lack: Chromium and the built extension.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_PATH, EXTENSION_DIR } from '../scripts/harness/extension-browser.ts';

/** Why the extension benches cannot run here (their "skipped" line), or undefined when they can. */
export function extensionMissing(): string | undefined {
  if (!existsSync(CHROMIUM_PATH)) return `skipped: needs Chromium at ${CHROMIUM_PATH}`;
  if (!existsSync(join(EXTENSION_DIR, 'manifest.json'))) return 'skipped: run npm run build first';
  return undefined;
}
