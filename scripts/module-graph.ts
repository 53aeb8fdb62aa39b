// The core's module graph, read from the code, and the boundary rules the
// build enforces on it (ARCHITECTURE.md, issue 9). `node scripts/module-graph.ts`
// prints the graph the README draws (`--readme` redraws it there); test/scripts/module-graph.test.ts runs
// checkBoundaries on the repository in `npm test` and fails on any violation.
//
// The shape:
// - src/core/<folder>/ is a unit. protocol, storage, http and events are
//   libraries: any core file may use any of their files. Every other folder
//   (accounts, rooms, sync, federation, keys, media, ...) is a module: from
//   outside its folder it is used only through its api files, `api.ts` or
//   `*-api.ts` at the top of the folder, so that its tables and internals are
//   its own (a module writes another module's data only by calling that api).
// - Units import each other without cycles.
// - Code outside the core (the extension, the offscreen document, src/node,
//   src/platform, popup, content, scripts) uses the core only through its
//   public entries, src/core/public.ts and src/core/protocol.ts. test/ and
//   bench/ may reach internals: they test and measure them.
// - The core imports nothing outside src/core (platforms come in through ports)
//   and never reaches for `globalThis`: the host APIs it uses are declared
//   once in src/core/host.d.ts.
// - scripts/ never imports test/.
// - Modules never call `tx.get/put/...` on a table name: they read and write
//   through typed tables (src/core/storage/table.ts, declared once in the
//   module's tables.ts with their row and key types) or store functions; only
//   a module's store file (`*-store.ts`, as keys/keys-store.ts) may call the
//   port on the table names it keeps private.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const CORE = 'src/core';
/** Core folders any core file may use whole; everything else in src/core is a module. */
export const LIBRARIES: ReadonlySet<string> = new Set(['protocol', 'storage', 'http', 'events']);
/** What code outside the core may import from it. */
export const PUBLIC_ENTRIES: ReadonlySet<string> = new Set(
  ['public.ts', 'protocol.ts', 'storage.ts'].map((f) => `${CORE}/${f}`),
);
/** Folders allowed to reach the core's internals. */
const INTERNAL_READERS = ['test/', 'bench/'];
/** Folders whose TypeScript the check reads. */
const SOURCE_DIRS = ['src', 'background', 'popup', 'content', 'scripts', 'bench', 'test'];

export interface Import {
  readonly from: string;
  readonly to: string;
}

export interface Violation {
  readonly rule: string;
  readonly message: string;
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

function isModule(unit: string, path: string): boolean {
  return path.slice(CORE.length + 1).includes('/') && !LIBRARIES.has(unit);
}

function isApiFile(path: string, unit: string): boolean {
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

function importViolation(from: string, to: string): Violation | undefined {
  const fromCore = from.startsWith(`${CORE}/`);
  const toCore = to.startsWith(`${CORE}/`);
  if (from.startsWith('scripts/') && to.startsWith('test/')) {
    return {
      rule: 'scripts-never-import-test',
      message:
        `${from} imports ${to}: scripts/ never imports test/. ` +
        'Way out: move the shared helper into scripts/ (or src/) and let test/ import it from there.',
    };
  }
  if (fromCore && !toCore) {
    return {
      rule: 'core-is-platform-free',
      message:
        `${from} imports ${to}: src/core imports nothing outside src/core. ` +
        'Way out: declare what the core needs as a port (src/core/ports.ts) and pass it in from the platform.',
    };
  }
  if (!toCore) return undefined;
  if (!fromCore) {
    if (PUBLIC_ENTRIES.has(to) || INTERNAL_READERS.some((d) => from.startsWith(d))) return undefined;
    return {
      rule: 'core-through-public-entry',
      message:
        `${from} imports ${to}: code outside the core uses it only through ${[...PUBLIC_ENTRIES].join(' or ')}. ` +
        `Way out: import it from ${CORE}/public.ts, exporting it there if a platform truly needs it (keep that entry small).`,
    };
  }
  const unit = unitOf(to)!;
  if (unitOf(from) === unit || !isModule(unit, to) || isApiFile(to, unit)) return undefined;
  return {
    rule: 'module-through-api',
    message:
      `${from} imports ${to}: the ${unit} module is used from outside its folder only through its api files ` +
      `(${CORE}/${unit}/api.ts or ${CORE}/${unit}/*-api.ts), and its data is written only by its own code. ` +
      `Way out: call (or add) a function in ${CORE}/${unit}/api.ts, or move the code into ${CORE}/${unit}/.`,
  };
}

/** A file of a core module (not a library) other than the module's store file (`*-store.ts`). */
function callsPortOnTableNames(path: string): boolean {
  const unit = unitOf(path);
  return unit !== undefined && isModule(unit, path) && !path.endsWith('-store.ts');
}

const RAW_TABLE_CALL = /\btx\.(get|put|delete|query|getAll|count|clear|add)\b\s*(<[^>]*>)?\(/;

/** Source without its comments (roughly: enough to not count `globalThis` in a comment). */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

/** Every broken boundary rule in `files` (repo-relative path → source). */
export function checkBoundaries(files: ReadonlyMap<string, string>): Violation[] {
  const imports = importsOf(files);
  const out: Violation[] = [];
  for (const [path, source] of files) {
    if (!callsPortOnTableNames(path) || !RAW_TABLE_CALL.test(withoutComments(source))) continue;
    out.push({
      rule: 'modules-use-typed-tables',
      message:
        `${path} calls the storage port on a table name (tx.get/put/delete/query...): modules read and ` +
        "write through typed tables (src/core/storage/table.ts, e.g. rooms' eventsTable.get(tx, id)) or " +
        "their store's functions (e.g. src/core/rooms/rows.ts); only a module's store file (*-store.ts) " +
        'names its tables to the port. Way out: declare the table in the tables.ts of its module with ' +
        '`table<Row, Key>(NAME)` and call that, or add a function to the store file.',
    });
  }
  for (const [path, source] of files) {
    if (!path.startsWith(`${CORE}/`) || !/\bglobalThis\b/.test(withoutComments(source))) continue;
    out.push({
      rule: 'core-host-through-ports',
      message:
        `${path} uses globalThis: the core takes time, randomness and every host service through its ports ` +
        `(${CORE}/ports.ts, passed in by the composition roots) or, for a web platform API every runtime has, ` +
        `through its declaration in ${CORE}/host.d.ts. Way out: declare the API there, or add it to a port.`,
    });
  }
  for (const { from, to } of imports) {
    const v = importViolation(from, to);
    if (v) out.push(v);
  }
  const graph = moduleGraph(imports);
  for (const cycle of cycles(graph)) {
    const members = new Set(cycle);
    // One example import for each arrow between the units of the cycle.
    const edges = new Map<string, string>();
    for (const i of imports) {
      const a = unitOf(i.from);
      const b = unitOf(i.to);
      if (a === undefined || b === undefined || a === b || !members.has(a) || !members.has(b)) continue;
      if (!edges.has(`${a}→${b}`)) edges.set(`${a}→${b}`, `${i.from} → ${i.to}`);
    }
    out.push({
      rule: 'no-module-cycles',
      message:
        `the core units ${cycle.join(', ')} import each other (${[...edges.values()].join('; ')}). ` +
        'Way out: move what they share into a unit below both (a library such as src/core/events), ' +
        'or let the composition root pass it in through a role-named interface.',
    });
  }
  return out;
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
