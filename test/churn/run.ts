// `npm run churn`: the long churn run (CHURN_SECONDS of chaos, default 120),
// against the built `serve`. Prints the seed first; exits 1 when a member
// misses an acknowledged message or the peers disagree on the room.
import { seedFromEnv } from '../fuzz/rng.ts';
import { runChurn } from './churn-session.ts';

const seconds = Number(process.env.CHURN_SECONDS ?? 120);
const report = await runChurn({
  seed: process.env.CHURN_SEED ? Number(process.env.CHURN_SEED) : seedFromEnv(),
  chaosMs: seconds * 1000,
  settleMs: 180_000,
  log: (line) => console.log(line),
});
for (const [label, bodies] of Object.entries(report.missing))
  console.log(`MISSING on ${label}: ${bodies.length} messages (${bodies.slice(0, 10).join(', ')})`);
if (report.stateDiffers.length > 0) console.log(`STATE differs on ${report.stateDiffers.join(', ')}`);
const failed = Object.keys(report.missing).length > 0 || report.stateDiffers.length > 0;
console.log(
  `${failed ? 'churn FAILED' : 'churn passed'} (seed ${report.seed}, ${report.acknowledged} messages acknowledged)`,
);
process.exit(failed ? 1 : 0);
