// The short churn run of `npm test` (`npm run churn` runs a longer one): five
// serve peers, 15 s of pauses, restarts and kill -9 while their users send;
// afterwards every member has every acknowledged message and the same state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIN_OUTAGES, runChurn } from './churn-session.ts';

const SEED = Number(process.env.CHURN_SEED ?? 20261203);

test(`five peers under churn (seed ${SEED}) lose no acknowledged message and agree on the room`, async () => {
  const report = await runChurn({ seed: SEED, chaosMs: 15_000, settleMs: 90_000 });
  assert.ok(report.acknowledged > 50, `only ${report.acknowledged} messages acknowledged`);
  assert.ok(
    report.actions.kill! + report.actions.restart! + report.actions.pause! >= MIN_OUTAGES,
    JSON.stringify(report.actions),
  );
  assert.deepEqual(report.missing, {}, `seed ${SEED}`);
  assert.deepEqual(report.stateDiffers, [], `seed ${SEED}`);
});
