// The core's import graph, read from the code: every relative import of the
// repository's TypeScript, the unit (folder) of each core file, the graph
// between units and its cycles. scripts/boundary-rules.ts checks the rules on
// it, scripts/module-graph.ts draws it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, sep } from 'node:path';
import ts from 'typescript';

export const CORE = 'src/core';
/** Core folders any core file may use whole; everything else in src/core is a module. */
export const LIBRARIES: ReadonlySet<string> = new Set(['protocol', 'storage', 'http', 'events']);
/** What code outside the core may import from it. */
export const PUBLIC_ENTRIES: ReadonlySet<string> = new Set(
  ['public.ts', 'protocol.ts', 'storage.ts'].map((f) => `${CORE}/${f}`),
);
/** Folders whose TypeScript the check reads. */
const SOURCE_DIRS = ['src', 'background', 'popup', 'content', 'scripts', 'bench', 'test'];

export interface Import {
  readonly from: string;
  readonly to: string;
}

/** Every relative import (static, dynamic, re-export, type-only) of every file, as repo-relative paths. */
export function importsOf(files: ReadonlyMap<string, string>): Import[] {
  const out: Import[] = [];
  for (const [from, source] of files) {
    if (from.endsWith('.d.ts')) continue;
    for (const ref of ts.preProcessFile(source, true, true).importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      out.push({ from, to: posix.normalize(posix.join(posix.dirname(from), ref.fileName)) });
    }
  }
  return out;
}

/** The unit of a core file: its folder under src/core, or for a top-level file its name (protocol.ts is protocol's). */
export function unitOf(path: string): string | undefined {
  if (!path.startsWith(`${CORE}/`)) return undefined;
  const rest = path.slice(CORE.length + 1);
  const slash = rest.indexOf('/');
  return slash < 0 ? rest.replace(/\.ts$/, '') : rest.slice(0, slash);
}

export function isModule(unit: string, path: string): boolean {
  return path.slice(CORE.length + 1).includes('/') && !LIBRARIES.has(unit);
}

export function isApiFile(path: string, unit: string): boolean {
  const name = path.slice(`${CORE}/${unit}/`.length);
  return name === 'api.ts' || (!name.includes('/') && name.endsWith('-api.ts'));
}

/** Unit → the units it imports (self excluded). */
export function moduleGraph(imports: readonly Import[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of imports) {
    const a = unitOf(from);
    const b = unitOf(to);
    if (a === undefined) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    if (b === undefined || b === a) continue;
    if (!graph.has(b)) graph.set(b, new Set());
    graph.get(a)!.add(b);
  }
  return graph;
}

/** Each cycle once, as a list of units (Tarjan's strongly connected components of size > 1). */
export function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** The repository's TypeScript sources (repo-relative, `/`-separated). */
export function readSources(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts'))
        files.set(path.split(sep).join('/'), readFileSync(join(root, path), 'utf8'));
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  return files;
}
