// The core's module graph as the README draws it: `node scripts/module-graph.ts`
// prints it and the broken boundary rules (scripts/boundary-rules.ts);
// `--readme` redraws it in README.md, and test/scripts/module-graph.test.ts
// fails when the README's drawing is old.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBoundaries } from './boundary-rules.ts';
import { CORE, importsOf, LIBRARIES, moduleGraph, readSources, unitOf } from './import-graph.ts';

/**
 * The graph as text, highest layer first: each unit with the units it uses,
 * a unit only ever using lower layers. `folders` tells folder units (`rooms/`)
 * from top-level files (`homeserver.ts`); libraries are marked.
 */
export function drawGraph(
  graph: ReadonlyMap<string, ReadonlySet<string>>,
  folders: ReadonlySet<string>,
): string {
  const layer = new Map<string, number>();
  const depth = (u: string, seen: Set<string>): number => {
    if (layer.has(u)) return layer.get(u)!;
    if (seen.has(u)) return 0;
    seen.add(u);
    const d = Math.max(-1, ...[...(graph.get(u) ?? [])].map((v) => depth(v, seen))) + 1;
    layer.set(u, d);
    return d;
  };
  for (const u of graph.keys()) depth(u, new Set());
  const order = (a: string, b: string) => layer.get(b)! - layer.get(a)! || a.localeCompare(b);
  const label = (u: string) => (folders.has(u) ? `${u}/` : `${u}.ts`);
  const name = (u: string) => `${label(u)}${LIBRARIES.has(u) ? ' (library)' : ''}`;
  // Top-level files that import nothing (errors.ts, ports.ts, ...) are used
  // everywhere: named once at the end rather than on every line.
  const leaves = new Set([...graph.keys()].filter((u) => !folders.has(u) && graph.get(u)!.size === 0));
  const units = [...graph.keys()].filter((u) => !leaves.has(u)).sort(order);
  const width = Math.max(...units.map((u) => name(u).length));
  const lines = units.map((u) => {
    const uses = [...graph.get(u)!]
      .filter((v) => !leaves.has(v))
      .sort(order)
      .map(label);
    return `${String(layer.get(u)).padStart(2)}  ${name(u).padEnd(width)}  → ${uses.join(' ') || '·'}`;
  });
  const shared = [...leaves].sort().map(label).join(' ');
  return [...lines, `    ${shared}: import nothing; any unit may use them`].join('\n');
}

/** The core's graph drawn from the repository at `root`. */
export function coreGraph(root: string): string {
  const core = new Map([...readSources(root)].filter(([p]) => p.startsWith(`${CORE}/`)));
  const folders = new Set(
    [...core.keys()].filter((p) => p.slice(CORE.length + 1).includes('/')).map((p) => unitOf(p)!),
  );
  return drawGraph(moduleGraph(importsOf(core)), folders);
}

/** README.md with its module graph (the code block after "### Modules and their boundaries") redrawn. */
export function readmeWithGraph(readme: string, graph: string): string {
  return readme.replace(
    /(### Modules and their boundaries\n[\s\S]*?```\n)[\s\S]*?(\n```)/,
    (_all, head: string, tail: string) => `${head}${graph}${tail}`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const graph = coreGraph(root);
  console.log(graph);
  if (process.argv.includes('--readme')) {
    const path = join(root, 'README.md');
    writeFileSync(path, readmeWithGraph(readFileSync(path, 'utf8'), graph));
  }
  const broken = checkBoundaries(readSources(root));
  for (const v of broken) console.error(`\n[${v.rule}] ${v.message}`);
  if (broken.length) process.exitCode = 1;
}
