// The short fuzz run of `npm test` (the full one is `npm run fuzz`): a few
// hundred seeded Client-Server requests and federation inputs against a real
// `p2p-matrix serve` (`npm run build` first), then kill -9 and a restart.
// The seed is fixed here so that CI is repeatable (FUZZ_SEED picks another);
// `npm run fuzz` draws a new one each run and prints it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzzSession } from './fuzz-session.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const INPUTS = 300;

test(`seeded short fuzz (seed ${SEED}): no 5xx, crash or hang; the store holds after kill -9`, async () => {
  const report = await runFuzzSession({ seed: SEED, csRequests: INPUTS, fedInputs: INPUTS });
  const shown = report.findings.map((f) => `${f.problem}\n  ${f.request}`);
  assert.deepEqual(shown, [], `seed ${SEED}`);
  assert.equal(report.csRequests, INPUTS);
  assert.equal(report.fedInputs, INPUTS);
  assert.deepEqual(report.storeProblems, [], `seed ${SEED}`);
  assert.deepEqual(report.restartProblems, [], `seed ${SEED}`);
  // The kill came while sends were in flight; some were acknowledged before it.
  assert.ok(report.acknowledged > 3, `only ${report.acknowledged} writes acknowledged`);
});
