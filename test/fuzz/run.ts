// `npm run fuzz`: the full run, 10,000 Client-Server requests and 10,000
// federation inputs (FUZZ_REQUESTS overrides both), against a built `serve`
// (`npm run build` first). Prints the seed first; FUZZ_SEED=<seed> repeats a
// run exactly. Exits 1 on any finding.
import { runFuzzSession } from './fuzz-session.ts';
import { seedFromEnv } from './rng.ts';

const count = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const report = await runFuzzSession({
  seed: seedFromEnv(),
  csRequests: count,
  fedInputs: count,
  log: (line) => console.log(line),
});
console.log(`client-server statuses: ${JSON.stringify(report.statuses)}`);
for (const p of [...report.storeProblems, ...report.restartProblems]) console.log(`STORE ${p}`);
const failed = report.findings.length + report.storeProblems.length + report.restartProblems.length;
console.log(failed === 0 ? `fuzz passed (seed ${report.seed})` : `fuzz FAILED (seed ${report.seed})`);
process.exit(failed === 0 ? 0 : 1);
