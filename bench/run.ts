// Runs every bench/*.bench.ts in turn: each module's default export is an
// async function that measures and prints, or returns its figures as a
// record (printed here, one `name: value` line each). `node bench/run.ts protocol` runs
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
  const figures = await bench.default();
  if (figures && typeof figures === 'object') {
    for (const [name, value] of Object.entries(figures)) {
      const shown = typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(2) : value;
      console.log(`${name}: ${shown}`);
    }
  }
}
