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
await import(cli);
