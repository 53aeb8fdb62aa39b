// The worker's one trace (src/platform/trace.ts): its storage, its client
// port and its federation link record into it while a bench has it on
// (`p2pMatrix.trace` in the worker's global scope).
import { Trace } from '../../src/platform/trace.ts';

export const workerTrace = new Trace();
