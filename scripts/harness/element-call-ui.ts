// Element Web's 1:1 voice calls as a user makes them (element-ui.ts drives
// the rest): "Voice call" in a DM's header, "Accept" on the incoming call's
// toast, "Hangup", and "Allow Peer-to-Peer for 1:1 calls" in Settings, Voice
// & Video. What no screen shows plainly, whether audio flows and along which
// path, is read from the call's RTCPeerConnection with getStats(): a probe
// (recordPeerConnections, run before Element's own scripts) keeps each
// connection the page makes.
import type { Page } from 'playwright-core';
import { STEP_TIMEOUT_MS } from './element-ui.ts';

/** The part of an RTCPeerConnection read here (this file is typed without the DOM's types). */
interface PeerConnection {
  readonly connectionState: string;
  readonly iceConnectionState: string;
  getStats(): Promise<Map<string, Record<string, unknown>>>;
}

/** Init script: remembers every RTCPeerConnection the page creates, in `p2pmPeerConnections`. */
export function recordPeerConnections(): void {
  const scope = globalThis as unknown as {
    RTCPeerConnection: new (...args: unknown[]) => object;
    p2pmPeerConnections: object[];
  };
  const Native = scope.RTCPeerConnection;
  scope.p2pmPeerConnections = [];
  scope.RTCPeerConnection = class extends Native {
    constructor(...args: unknown[]) {
      super(...args);
      scope.p2pmPeerConnections.push(this);
    }
  };
}

/** Starts a voice call in the open DM with its header's "Voice call". */
export async function startVoiceCall(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Voice call', exact: true }).first().click();
}

/** Answers the incoming call with its toast's "Accept" (the first: the timeline's call tile has one too). */
export async function acceptCall(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Accept', exact: true }).first().click({ timeout: STEP_TIMEOUT_MS });
}

/**
 * Ends the call with the call view's "Hangup", from the keyboard: the call
 * view shows its buttons only while the pointer moves over it.
 */
export async function hangUp(page: Page): Promise<void> {
  const button = page.getByRole('button', { name: 'Hangup', exact: true }).first();
  await button.focus();
  await button.press('Enter');
}

/** What the page's newest open RTCPeerConnection shows of its call. */
export interface CallStats {
  readonly iceState: string;
  /** Audio bytes received (inbound-rtp). */
  readonly audioBytesReceived: number;
  /** Candidate types of the selected pair: `host`, `srflx`, `prflx` or `relay`. */
  readonly localCandidate?: string;
  readonly remoteCandidate?: string;
}

/** The stats of the page's newest RTCPeerConnection that is not closed, if any. */
function callStats(page: Page): Promise<CallStats | undefined> {
  return page.evaluate(async () => {
    const { p2pmPeerConnections } = globalThis as unknown as { p2pmPeerConnections: PeerConnection[] };
    const pc = p2pmPeerConnections.findLast((c) => c.connectionState !== 'closed');
    if (!pc) return undefined;
    const stats = [...(await pc.getStats()).values()];
    const audio = stats.find((s) => s.type === 'inbound-rtp' && s.kind === 'audio');
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair = stats.find((s) => s.id === transport?.selectedCandidatePairId);
    const local = stats.find((s) => s.id === pair?.localCandidateId);
    const remote = stats.find((s) => s.id === pair?.remoteCandidateId);
    return {
      iceState: pc.iceConnectionState,
      audioBytesReceived: Number(audio?.bytesReceived ?? 0),
      localCandidate: local?.candidateType as string | undefined,
      remoteCandidate: remote?.candidateType as string | undefined,
    };
  });
}

/**
 * Waits until the page's call is connected with audio received, and returns
 * its stats (asked every 250 ms: getStats answers asynchronously; hang guard
 * STEP_TIMEOUT_MS).
 */
export async function waitForAudio(page: Page): Promise<CallStats> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const stats = await callStats(page);
    const connected = stats?.iceState === 'connected' || stats?.iceState === 'completed';
    if (stats && connected && stats.audioBytesReceived > 0) return stats;
    if (Date.now() > deadline) throw new Error(`hang guard: no audio received (${JSON.stringify(stats)})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Waits until the page has no open RTCPeerConnection (the call ended on this side). */
export async function waitForCallEnded(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      (globalThis as unknown as { p2pmPeerConnections: PeerConnection[] }).p2pmPeerConnections.every(
        (c) => c.connectionState === 'closed',
      ),
    undefined,
    { timeout: STEP_TIMEOUT_MS, polling: 250 },
  );
}
