// Bundles client.ts with matrix-js-sdk's browser entry into one script and
// serves it with a page, for the end-to-end tests.
import { type BuildOptions, build } from 'esbuild';
import type { StaticFile } from '../static-site.ts';

const HTML = `<!doctype html><html><head><meta charset="utf-8"><title>p2p-matrix test client</title>
<script src="/client.js"></script></head><body>p2p-matrix test client</body></html>`;

let bundled: Promise<string> | undefined;

/** Bundles `entry` (a file URL or path) with its dependencies into one script for Chromium. */
export async function bundleForBrowser(
  entry: URL,
  options: Pick<BuildOptions, 'define' | 'external'> = {},
): Promise<string> {
  const result = await build({
    entryPoints: [entry.pathname],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome137',
    logLevel: 'error',
    ...options,
  });
  return result.outputFiles[0]!.text;
}

const bundle = () =>
  bundleForBrowser(new URL('./client.ts', import.meta.url), {
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  });

/** The files of the client page: '/' and '/client.js'. */
export async function clientPageFiles(): Promise<Record<string, StaticFile>> {
  bundled ??= bundle();
  return {
    '/': { type: 'text/html; charset=utf-8', body: HTML },
    '/client.js': { type: 'text/javascript; charset=utf-8', body: await bundled },
  };
}
