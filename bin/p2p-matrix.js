#!/usr/bin/env node
// Entry point of the `p2p-matrix` command (relay, serve). The CLI is bundled by
// `npm run build` into dist/node; this file only finds it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `p2p-matrix needs Node 24 (found ${process.version}); run it through npx or npm scripts after \`npm ci\`.`,
  );
  process.exit(1);
}
const cli = fileURLToPath(new URL('../dist/node/p2p-matrix.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('p2p-matrix is not built yet: run `npm run build` first.');
  process.exit(1);
}
// V8's young generation grows to 128 MB when much of what a request allocates
// survives a scavenge (paging /messages through 100,700 events took `serve`
// from 110 MB to 245 MB resident with a live heap of 22 MB after collection),
// and its old generation grows by a large factor past the live size before a
// full collection. A young generation of 2 × 8 MB and 20 % growth took that
// peak to 131 MB for about 10-15 % more CPU in the same run (bench/memory.bench.ts,
// README "Memory"). The flags only work on the command line, so the process
// replaces itself with one that has them (same pid; where process.execve is
// missing, as on Windows, it runs as it is). Flags the user gave win.
const V8_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=20'];
const given = (flag) => process.execArgv.some((arg) => arg.startsWith(flag.split('=')[0]));
if (typeof process.execve === 'function' && !V8_FLAGS.some(given)) {
  process.execve(process.execPath, [
    process.execPath,
    ...V8_FLAGS,
    ...process.execArgv,
    ...process.argv.slice(1),
  ]);
}
await import(cli);
