// Runs every bench/*.bench.ts in turn: each module's default export is an
// async function that measures and prints. `node bench/run.ts protocol` runs
// only the files whose name contains "protocol".

import { readdir } from 'node:fs/promises';

type Bench = { default?: () => unknown };

const directory = new URL('./', import.meta.url);
const only = process.argv[2];
const files = (await readdir(directory))
  .filter((name) => name.endsWith('.bench.ts') && (!only || name.includes(only)))
  .sort();

for (const file of files) {
  console.log(`\n=== ${file.replace(/\.bench\.ts$/, '')} ===`);
  const bench = (await import(new URL(file, directory).href)) as Bench;
  if (typeof bench.default !== 'function') throw new Error(`${file} has no default export to run`);
  await bench.default();
}
