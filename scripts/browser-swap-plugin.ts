// esbuild plugin for whole-file browser differences: when building for
// `browser`, an import of `./x.ts` resolves to `./x.<browser>.ts` if that file
// exists beside it (e.g. src/platform/web/ext-api.firefox.ts). The code never
// asks which browser it runs in; the build picks the file.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'esbuild';

export function browserSwapPlugin(browser: string): Plugin {
  return {
    name: 'browser-swap',
    setup(build) {
      build.onResolve({ filter: /\.ts$/ }, (args) => {
        if (!args.path.startsWith('.') && args.kind !== 'entry-point') return undefined;
        const base = resolve(args.resolveDir || build.initialOptions.absWorkingDir || '.', args.path);
        if (base.endsWith(`.${browser}.ts`)) return undefined;
        const swapped = base.replace(/\.ts$/, `.${browser}.ts`);
        return existsSync(swapped) ? { path: swapped } : undefined;
      });
    },
  };
}
