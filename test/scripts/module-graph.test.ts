// The boundary check of `npm test` (scripts/boundary-rules.ts over
// scripts/import-graph.ts): the repository keeps every rule, each rule fails
// on a tree that breaks it, with a message naming the rule and the way out,
// and the README draws the module graph the code has.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkBoundaries, type Violation } from '../../scripts/boundary-rules.ts';
import { readSources } from '../../scripts/import-graph.ts';
import { coreGraph, readmeWithGraph } from '../../scripts/module-graph.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('the repository keeps the boundary rules (read a failure: it names the rule and the way out)', () => {
  const broken = checkBoundaries(readSources(root));
  assert.deepEqual(
    broken.map((v) => `[${v.rule}] ${v.message}`),
    [],
  );
});

test("the README's module graph is the code's", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  assert.ok(
    readme === readmeWithGraph(readme, coreGraph(root)),
    'README.md draws an old module graph: run `node scripts/module-graph.ts --readme` to redraw it',
  );
});

/** A small tree that keeps the rules: a library, two modules with api files, the public entry. */
const GOOD: Record<string, string> = {
  'src/core/events/notifier.ts': 'export class Notifier {}',
  'src/core/rooms/api.ts': "export { roomTables } from './tables.ts';",
  'src/core/rooms/tables.ts':
    "import { Notifier } from '../events/notifier.ts'; export const roomTables = {};",
  'src/core/keys/api.ts':
    "import { roomTables } from '../rooms/api.ts'; export const keyTables = roomTables;",
  'src/core/keys/to-device.ts': "import type { Notifier } from '../events/notifier.ts';",
  'src/core/public.ts': "export { keyTables } from './keys/api.ts';",
  'background/worker/boot.ts': "import { keyTables } from '../../src/core/public.ts';",
  'test/core/keys/to-device.test.ts': "import '../../../src/core/keys/to-device.ts';",
  'scripts/demo.ts': "import './harness/browser.ts';",
};

function check(extra: Record<string, string>): Violation[] {
  return checkBoundaries(new Map(Object.entries({ ...GOOD, ...extra })));
}

function assertFails(extra: Record<string, string>, rule: string, wayOut: RegExp): void {
  const broken = check(extra);
  assert.equal(broken.length, 1, broken.map((v) => v.message).join('\n'));
  assert.equal(broken[0]!.rule, rule);
  assert.match(broken[0]!.message, /Way out: /);
  assert.match(broken[0]!.message, wayOut);
}

test('a tree that keeps the rules passes, a new module with an api file included', () => {
  assert.deepEqual(check({}), []);
});

test("importing a module's internal file from another module fails: module-through-api", () => {
  assertFails(
    { 'src/core/keys/backup.ts': "import { roomTables } from '../rooms/tables.ts';" },
    'module-through-api',
    /src\/core\/rooms\/api\.ts/,
  );
});

test('a dynamic import or a re-export counts as an import', () => {
  assert.equal(check({ 'src/core/keys/a.ts': "const t = await import('../rooms/tables.ts');" }).length, 1);
  assert.equal(check({ 'src/core/keys/a.ts': "export * from '../rooms/tables.ts';" }).length, 1);
});

test('two modules importing each other fail: no-module-cycles', () => {
  assertFails(
    { 'src/core/rooms/api.ts': "import { keyTables } from '../keys/api.ts'; export const roomTables = {};" },
    'no-module-cycles',
    /below both/,
  );
});

test("a platform importing the core's internals fails: core-through-public-entry", () => {
  assertFails(
    { 'background/worker/boot.ts': "import { Notifier } from '../../src/core/events/notifier.ts';" },
    'core-through-public-entry',
    /src\/core\/public\.ts/,
  );
});

test('a script importing test/ fails: scripts-never-import-test', () => {
  assertFails(
    { 'scripts/demo.ts': "import '../test/support/hs-client.ts';" },
    'scripts-never-import-test',
    /move the shared helper/,
  );
});

test('the core reaching for globalThis fails: core-host-through-ports', () => {
  assertFails(
    { 'src/core/keys/to-device.ts': 'const c = (globalThis as unknown as { crypto: unknown }).crypto;' },
    'core-host-through-ports',
    /host\.d\.ts/,
  );
  assert.deepEqual(check({ 'src/core/keys/to-device.ts': '// not globalThis, a comment' }), []);
});

test('a module calling the storage port on a table name fails: modules-use-typed-tables', () => {
  assertFails(
    { 'src/core/keys/routes.ts': "const row = await tx.get<Row>('e2e_device_keys', [userId, deviceId]);" },
    'modules-use-typed-tables',
    /table<Row, Key>/,
  );
  assert.deepEqual(check({ 'src/core/keys/keys-store.ts': "await tx.put('e2e_device_keys', row);" }), []);
});

test('the core importing a platform fails: core-is-platform-free', () => {
  assertFails(
    { 'src/core/keys/to-device.ts': "import '../../node/cli.ts';" },
    'core-is-platform-free',
    /port/,
  );
});
