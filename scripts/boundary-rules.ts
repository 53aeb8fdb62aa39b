// The boundary rules the build enforces on the core (ARCHITECTURE.md, issue
// 9): test/scripts/module-graph.test.ts runs checkBoundaries on the
// repository in `npm test` and fails on any violation, naming the rule and
// the way out; `node scripts/module-graph.ts` prints them too.
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
//   public entries: src/core/public.ts (running a homeserver), protocol.ts
//   (the Matrix protocol library) and storage.ts (implementing a store).
//   test/ and bench/ may reach internals: they test and measure them.
// - The core imports nothing outside src/core (platforms come in through ports)
//   and never reaches for `globalThis`: the host APIs it uses are declared
//   once in src/core/host.d.ts.
// - scripts/ never imports test/.
// - Modules never call `tx.get/put/...` on a table name: they read and write
//   through typed tables (src/core/storage/table.ts, declared once in the
//   module's tables.ts with their row and key types) or store functions; only
//   a module's store file (`*-store.ts`, as keys/keys-store.ts) may call the
//   port on the table names it keeps private.
import {
  CORE,
  cycles,
  importsOf,
  isApiFile,
  isModule,
  moduleGraph,
  PUBLIC_ENTRIES,
  unitOf,
} from './import-graph.ts';

export interface Violation {
  readonly rule: string;
  readonly message: string;
}

/** Folders allowed to reach the core's internals. */
const INTERNAL_READERS = ['test/', 'bench/'];
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
