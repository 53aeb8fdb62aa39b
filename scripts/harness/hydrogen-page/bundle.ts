// Bundles the Hydrogen page (client.ts with hydrogen-view-sdk) with esbuild
// and serves it with the assets Hydrogen loads at run time: olm (JS and
// WebAssembly, from the @matrix-org/olm package on npm), its worker, its
// download sandbox, its theme and fonts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bundleForBrowser } from '../client-page/bundle.ts';
import { type StaticFile, type StaticSite, startStaticSite } from '../static-site.ts';

const require = createRequire(import.meta.url);
const OLM_DIR = dirname(require.resolve('@matrix-org/olm/package.json'));
/** Hydrogen's built assets: theme CSS with its fonts and icons, the olm worker, the download sandbox. */
const HYDROGEN_ASSETS = join(dirname(require.resolve('hydrogen-view-sdk')), '../asset-build/assets');

const HTML = `<!doctype html><html><head><meta charset="utf-8"><title>p2p-matrix Hydrogen page</title>
<link rel="stylesheet" href="/theme-element-light.css"><script defer src="/client.js"></script></head>
<body><div id="app" class="hydrogen"></div></body></html>`;

let bundled: Promise<string> | undefined;

const bundle = () =>
  bundleForBrowser(new URL('./client.ts', import.meta.url), {
    // olm's Emscripten build names Node's modules on a path that runs only under Node.
    external: ['crypto', 'path', 'fs'],
  });

const olm = (name: string, type: string): StaticFile => ({ type, body: readFileSync(join(OLM_DIR, name)) });

/** Serves the Hydrogen page on a new port of 127.0.0.1. */
export async function startHydrogenSite(): Promise<StaticSite> {
  bundled ??= bundle();
  const script = 'text/javascript; charset=utf-8';
  const files: Record<string, StaticFile> = {
    '/': { type: 'text/html; charset=utf-8', body: HTML },
    '/client.js': { type: script, body: await bundled },
    '/olm.js': olm('olm.js', script),
    '/olm_legacy.js': olm('olm_legacy.js', script),
    '/olm.wasm': olm('olm.wasm', 'application/wasm'),
    '/sw.js': { type: script, body: readFileSync(join(HYDROGEN_ASSETS, '../../lib-build/sw.js')) },
  };
  return startStaticSite(files, HYDROGEN_ASSETS);
}
