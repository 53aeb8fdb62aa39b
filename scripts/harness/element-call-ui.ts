// Element Web's 1:1 voice calls as a user makes them (element-ui.ts drives
// the rest): "Voice call" in a DM's header, "Accept" on the incoming call's
// toast, "Hangup", and "Allow Peer-to-Peer for 1:1 calls" in Settings, Voice
// & Video. What no screen shows plainly, whether audio flows and along which
// path, is read from the call's RTCPeerConnection with getStats(): a probe
// (recordPeerConnections, run before Element's own scripts) keeps each
// connection the page makes.
import type { Page } from 'playwright-core';
import {
  acceptInvite,
  openRoom,
  STEP_TIMEOUT_MS,
  sendMessage,
  startDirectMessage,
  waitForMessage,
} from './element-ui.ts';

/** The part of an RTCPeerConnection read here (this file is typed without the DOM's types). */
interface PeerConnection {
  readonly connectionState: string;
  readonly iceConnectionState: string;
  getStats(): Promise<Map<string, Record<string, unknown>>>;
}

/**
 * Init script: remembers every RTCPeerConnection the page creates, in
 * `p2pmPeerConnections`, and the wall-clock time its ICE first connected
 * (`p2pmConnectedAt`, for the call set-up bench).
 */
export function recordPeerConnections(): void {
  interface Recorded extends EventTarget {
    iceConnectionState: string;
    p2pmConnectedAt?: number;
  }
  const scope = globalThis as unknown as {
    RTCPeerConnection: new (...args: unknown[]) => Recorded;
    p2pmPeerConnections: Recorded[];
  };
  const Native = scope.RTCPeerConnection;
  scope.p2pmPeerConnections = [];
  scope.RTCPeerConnection = class extends Native {
    constructor(...args: unknown[]) {
      super(...args);
      scope.p2pmPeerConnections.push(this);
      this.addEventListener('iceconnectionstatechange', () => {
        const connected = this.iceConnectionState === 'connected' || this.iceConnectionState === 'completed';
        if (connected) this.p2pmConnectedAt ??= Date.now();
      });
    }
  };
}

/** When the page's newest RTCPeerConnection first connected (Date.now()), if it has. */
export function connectedAt(page: Page): Promise<number | undefined> {
  return page.evaluate(
    () =>
      (
        globalThis as unknown as { p2pmPeerConnections: { p2pmConnectedAt?: number }[] }
      ).p2pmPeerConnections.at(-1)?.p2pmConnectedAt,
  );
}

/**
 * The room calls are made in: Alice starts a DM with Bob (`bobId`) and asks
 * whether she may call; Bob accepts the invite and reads the question. Both
 * are left in that room.
 */
export async function openCallRoom(alice: Page, bob: Page, bobId: string): Promise<void> {
  await startDirectMessage(alice, bobId);
  await sendMessage(alice, 'Can I call you?');
  await waitForMessage(alice, 'Can I call you?');
  await openRoom(bob, 'alice');
  await acceptInvite(bob);
  await waitForMessage(bob, 'Can I call you?');
}

/** Starts a voice call in the open DM with its header's "Voice call". */
export async function startVoiceCall(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Voice call', exact: true }).first().click();
}

/** The incoming call's toast's "Accept" (the first: the timeline's call tile has one too). */
function acceptButton(page: Page) {
  return page.getByRole('button', { name: 'Accept', exact: true }).first();
}

/** Waits until the incoming call rings: its toast's "Accept" shows. */
export async function waitForRinging(page: Page): Promise<void> {
  await acceptButton(page).waitFor({ timeout: STEP_TIMEOUT_MS });
}

/** Answers the incoming call with its toast's "Accept". */
export async function acceptCall(page: Page): Promise<void> {
  await acceptButton(page).click({ timeout: STEP_TIMEOUT_MS });
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

/** Sets "Allow Peer-to-Peer for 1:1 calls" (Settings, Voice & Video) and closes the settings. */
export async function allowPeerToPeer(page: Page, allowed: boolean): Promise<void> {
  await page.getByRole('button', { name: 'User menu' }).click();
  await page.getByRole('menuitem', { name: 'All settings' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('tab', { name: 'Voice & Video' }).click();
  const toggle = dialog.getByRole('switch', { name: 'Allow Peer-to-Peer for 1:1 calls' });
  if ((await toggle.isChecked()) !== allowed) await toggle.click();
  if ((await toggle.isChecked()) !== allowed) throw new Error('the peer-to-peer setting did not change');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
}

/**
 * The TURN URIs Element's client holds (js-sdk's getTurnServers: what it got
 * from `/voip/turnServer` at sign-in), which a call it starts or answers now
 * is given.
 */
export function heldTurnUris(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    interface Client {
      getTurnServers(): { urls: string[] }[];
    }
    const client = (
      globalThis as unknown as { mxMatrixClientPeg: { get(): Client } }
    ).mxMatrixClientPeg.get();
    return client.getTurnServers().flatMap((server) => server.urls);
  });
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
 * Waits until the page's call is connected with audio received, over a
 * selected candidate pair that `path` accepts (any by default), and returns
 * its stats (asked every 250 ms: getStats answers asynchronously; hang guard
 * STEP_TIMEOUT_MS). ICE may first select a pair it leaves for a better one
 * that passes its checks later (a relayed one for a direct one).
 */
export async function waitForAudio(
  page: Page,
  path: (stats: CallStats) => boolean = () => true,
): Promise<CallStats> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const stats = await callStats(page);
    const connected = stats?.iceState === 'connected' || stats?.iceState === 'completed';
    if (stats && connected && stats.audioBytesReceived > 0 && path(stats)) return stats;
    if (Date.now() > deadline)
      throw new Error(`hang guard: no audio received over the path wanted (${JSON.stringify(stats)})`);
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
