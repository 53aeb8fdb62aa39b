// Assertions on Verdicts: denials are checked by the spec rule their reason names.
import assert from 'node:assert/strict';
import type { Verdict } from '../../src/core/protocol/types.ts';

export function assertAllowed(verdict: Verdict): void {
  assert.deepEqual(verdict, { ok: true });
}

/** Asserts a denial whose reason starts with `<rule>:` (e.g. `4.3.3`). */
export function assertDenied(verdict: Verdict, rule: string): void {
  assert.equal(verdict.ok, false, `expected a denial by rule ${rule}`);
  if (verdict.ok) return;
  assert.ok(verdict.reason.startsWith(`${rule}:`), `expected rule ${rule}, got "${verdict.reason}"`);
}
