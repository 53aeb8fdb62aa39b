// Two browsers, each with the extension and its own homeserver, chat over
// the network: a relay process on loopback, a real matrix-js-sdk client on an
// approved page in each browser. A publishes a room, B finds it in the
// network's directory and joins; 50 messages go each way over a direct
// WebRTC connection between the two offscreen documents; the service
// workers are stopped again and again mid-conversation; B is closed and
// opened again on its profile and catches up with what A said meanwhile.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import {
  type ExtensionBrowser,
  removeProfile,
  stopServiceWorkers,
} from '../../scripts/harness/extension-browser.ts';
import {
  approveOrigin,
  launchWithLoopbackAccess,
  startClientSite,
} from '../../scripts/harness/extension-session.ts';
import {
  isDirectWebRTC,
  nodeConnections,
  useRelay,
  waitForDirectWebRTC,
} from '../../scripts/harness/p2p-session.ts';
import { type RelayProcess, startRelayProcess } from '../../scripts/harness/serve-process.ts';
import type { StaticSite } from '../../scripts/harness/static-site.ts';
import { callClient, openClientPage } from '../../scripts/harness/client-page/driver.ts';
import type { Credentials } from '../../scripts/harness/client-page/client.ts';

const ROOM_NAME = 'p2p e2e room';

interface Side {
  browser: ExtensionBrowser;
  page: Page;
  serverName: string;
  username: string;
  creds: Credentials;
}

async function openSide(site: StaticSite, relay: string, username: string, profileDir?: string) {
  const browser = await launchWithLoopbackAccess(profileDir ? { profileDir } : {});
  if (!profileDir) await approveOrigin(browser, site.origin);
  const serverName = await useRelay(browser, relay);
  const page = await openClientPage(browser.context, site.origin);
  return { browser, page, serverName, username };
}

/** Sends `bodies` one after another from the side's client. */
async function sendAll(side: Side, roomId: string, bodies: readonly string[]): Promise<void> {
  for (const body of bodies) await callClient(side.page, 'send', side.username, roomId, body);
}

/** When the side's current service worker started (a new value after each restart). */
const workerStart = (side: Side) => side.browser.worker.evaluate(() => performance.timeOrigin);

const numbered = (prefix: string, count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => `${prefix} ${String(from + i).padStart(3, '0')}`);

describe('two browsers chatting peer to peer', () => {
  let relay: RelayProcess;
  let site: StaticSite;
  let a: Side;
  let b: Side;
  let roomId = '';
  const fromAlice: string[] = [];
  const fromBob: string[] = [];
  /** Each side has synced, in order, everything the other one sent so far. */
  const assertBothSynced = async () => {
    assert.deepEqual(
      await callClient(b.page, 'syncedWithPrefix', 'bob', roomId, 'alice', fromAlice.length),
      fromAlice,
    );
    assert.deepEqual(
      await callClient(a.page, 'syncedWithPrefix', 'alice', roomId, 'bob', fromBob.length),
      fromBob,
    );
  };

  before(async () => {
    relay = await startRelayProcess();
    site = await startClientSite();
    const openedA = await openSide(site, relay.multiaddrs[0]!, 'alice');
    const openedB = await openSide(site, relay.multiaddrs[0]!, 'bob');
    const register = async (opened: typeof openedA) => {
      const creds = await callClient(opened.page, 'register', HOMESERVER_ORIGIN, opened.username);
      await callClient(opened.page, 'start', opened.username, HOMESERVER_ORIGIN, creds);
      return { ...opened, creds };
    };
    a = await register(openedA);
    b = await register(openedB);
  });

  after(async () => {
    for (const side of [a, b]) {
      await side?.browser.close();
      if (side) removeProfile(side.browser.profileDir);
    }
    await site?.close();
    await relay?.stop();
  });

  test("B finds A's public room in the network directory and joins it", async () => {
    roomId = await callClient(a.page, 'createPublicRoom', 'alice', ROOM_NAME);
    assert.equal(await callClient(b.page, 'findPublicRoom', 'bob', ROOM_NAME), roomId);
    await callClient(b.page, 'join', 'bob', roomId, [a.serverName]);
    fromAlice.push('alice says hello');
    await sendAll(a, roomId, fromAlice);
    assert.deepEqual(await callClient(b.page, 'syncedWithPrefix', 'bob', roomId, 'alice', 1), fromAlice);
  });

  test('50 messages each way arrive in order, over a direct WebRTC connection', async () => {
    const aliceBatch = numbered('alice', 50);
    const bobBatch = numbered('bob', 50);
    await Promise.all([sendAll(a, roomId, aliceBatch), sendAll(b, roomId, bobBatch)]);
    fromAlice.push(...aliceBatch);
    fromBob.push(...bobBatch);
    await assertBothSynced();

    const direct = await waitForDirectWebRTC(a.browser, b.serverName);
    assert.equal(direct.direct, true);
    assert.equal(direct.multiplexer, '/webrtc');
    const seenFromB = (await nodeConnections(b.browser)).filter((c) => c.serverName === a.serverName);
    assert.ok(seenFromB.some(isDirectWebRTC), 'B also sees the direct WebRTC connection');
  });

  test('service workers stopped again and again mid-conversation: nothing lost, nothing doubled', async () => {
    const firstWorkers = await Promise.all([workerStart(a), workerStart(b)]);
    for (let round = 0; round < 4; round++) {
      const aliceRound = numbered(`alice r${round}`, 3);
      const bobRound = numbered(`bob r${round}`, 3);
      // Alternate whose worker is stopped, and stop once more with sends in flight.
      await stopServiceWorkers((round % 2 === 0 ? a : b).browser.context);
      const sending = Promise.all([sendAll(a, roomId, aliceRound), sendAll(b, roomId, bobRound)]);
      await stopServiceWorkers((round % 2 === 0 ? b : a).browser.context);
      await sending;
      fromAlice.push(...aliceRound);
      fromBob.push(...bobRound);
      await assertBothSynced();
    }
    const everything = [...fromAlice, ...fromBob].sort();
    for (const side of [a, b]) {
      const history = (await callClient(side.page, 'history', side.username, roomId)).sort();
      assert.deepEqual(history, everything, 'each message is in the history exactly once');
    }
    const workersNow = await Promise.all([workerStart(a), workerStart(b)]);
    assert.notEqual(workersNow[0], firstWorkers[0], "A's worker was restarted");
    assert.notEqual(workersNow[1], firstWorkers[1], "B's worker was restarted");
  });

  test('B closed and opened again: its history is there and it catches up on what A said meanwhile', async () => {
    const { profileDir } = b.browser;
    const historyBefore = await callClient(b.page, 'history', 'bob', roomId);
    await b.browser.close();

    const meanwhile = numbered('alice while bob was away', 5);
    await sendAll(a, roomId, meanwhile);
    fromAlice.push(...meanwhile);

    const reopened = await openSide(site, relay.multiaddrs[0]!, 'bob', profileDir);
    b = { ...reopened, creds: b.creds };
    await callClient(b.page, 'start', 'bob', HOMESERVER_ORIGIN, b.creds);
    const history = await callClient(b.page, 'history', 'bob', roomId);
    assert.deepEqual(history.slice(0, historyBefore.length), historyBefore, 'the history is still there');
    await waitForHistory(b, roomId, meanwhile);
    assert.deepEqual(
      (await callClient(b.page, 'history', 'bob', roomId)).filter((body) => body.startsWith('alice')),
      fromAlice,
    );
  });
});

/** Waits (hang guard: 120 s) until `side`'s history ends with `tail`. */
async function waitForHistory(side: Side, roomId: string, tail: readonly string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const history = await callClient(side.page, 'history', side.username, roomId);
    if (JSON.stringify(history.slice(-tail.length)) === JSON.stringify(tail)) return;
    if (Date.now() > deadline) throw new Error(`hang guard: history did not catch up: ${history.slice(-5)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
