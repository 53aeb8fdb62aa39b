// Builds the extension for Chrome and Firefox (dist/chrome, dist/firefox) and
// the Node CLI (dist/node). Browser differences are whole-file swaps chosen
// here, never `if (firefox)` branches in the code.
import { build, type BuildOptions } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ISOLATED_WORLD_SCRIPT, MAIN_WORLD_SCRIPT } from '../src/platform/web/content-script-files.ts';
import { browserSwapPlugin } from './browser-swap-plugin.ts';
import { noRawHtmlPlugin } from './no-raw-html-plugin.ts';
import { webrtcInitChannelPlugin } from './webrtc-init-channel-plugin.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

type Browser = 'chrome' | 'firefox';

/** ES-module entry points of the extension; each becomes one file at the top of dist/<browser>. */
const extensionEntries: Record<string, string> = {
  background: 'background/worker/background.ts',
  popup: 'popup/popup.ts',
};

/**
 * Chrome only: the offscreen document that runs the libp2p node (WebRTC is
 * missing from service workers). Firefox runs the node in its event page.
 */
const chromeOnlyEntries: Record<string, string> = {
  offscreen: 'background/offscreen/offscreen.ts',
  // The Worker the offscreen document starts to check signatures (verifier-wire.ts).
  verifier: 'background/verifier/verifier.ts',
  // The page that hands a content script's client channel to the service worker (client-wire.ts).
  'client-bridge': 'background/client-bridge/client-bridge.ts',
};

/** Static files of the extension's pages, copied to the top of dist/<browser>. */
const pageFiles = ['popup/popup.html', 'popup/popup.css'];
const chromeOnlyPageFiles = [
  'background/offscreen/offscreen.html',
  'background/client-bridge/client-bridge.html',
];

/**
 * Content scripts: classic scripts (browsers do not load content scripts as
 * modules), bundled as IIFEs. The background registers them on approved
 * origins by these file names.
 */
const contentScriptEntries: Record<string, string> = {
  [MAIN_WORLD_SCRIPT.replace(/\.js$/, '')]: 'content/main-world.ts',
  [ISOLATED_WORLD_SCRIPT.replace(/\.js$/, '')]: 'content/isolated-world.ts',
};

function manifestFor(browser: Browser): Record<string, unknown> {
  const base = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  if (browser === 'chrome') return base;
  const delta = JSON.parse(readFileSync(join(root, 'manifest.firefox.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(delta)) {
    if (key === '//') continue;
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

async function buildExtension(browser: Browser): Promise<void> {
  const out = join(dist, browser);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const options: BuildOptions = {
    absWorkingDir: root,
    entryPoints: browser === 'chrome' ? { ...extensionEntries, ...chromeOnlyEntries } : extensionEntries,
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: browser === 'chrome' ? 'chrome137' : 'firefox128',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
    plugins: [browserSwapPlugin(browser), noRawHtmlPlugin(), webrtcInitChannelPlugin()],
  };
  await Promise.all([
    build(options),
    build({ ...options, entryPoints: contentScriptEntries, format: 'iife' }),
  ]);
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifestFor(browser), null, 2));
  const pages = browser === 'chrome' ? [...pageFiles, ...chromeOnlyPageFiles] : pageFiles;
  for (const file of pages) cpSync(join(root, file), join(out, basename(file)));
  const icons = join(root, 'assets');
  if (existsSync(icons)) cpSync(icons, join(out, 'assets'), { recursive: true });
}

async function buildNode(): Promise<void> {
  await build({
    absWorkingDir: root,
    entryPoints: { 'p2p-matrix': 'src/node/cli.ts' },
    outdir: join(dist, 'node'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

await Promise.all([buildExtension('chrome'), buildExtension('firefox'), buildNode()]);
console.log('built dist/chrome, dist/firefox, dist/node');
