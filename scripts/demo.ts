// `npm run demo` (and `npm start` where there is no display): two users chat
// peer to peer, each in a headless Chromium with the extension, through a
// relay on this machine. Prints the conversation as it arrives and saves
// screenshots of both chat pages and both popups to artifacts/demo/.
//
// Nothing leaves the machine: the relay listens on 127.0.0.1, the browsers
// run with the end-to-end tests' flags (no host name resolves, so Chromium's
// calls home fail at once; no mDNS; no STUN server), and WebRTC connects the
// two browsers directly on loopback. No network namespace is needed: with a
// default route Chromium gathers loopback and host candidates with the media
// permission the harness grants; inside a loopback-only namespace
// (`ip netns exec`) it works too.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { HOMESERVER_ORIGIN } from '../src/platform/web/homeserver-url.ts';
import { callClient, openClientPage } from './harness/client-page/driver.ts';
import { type ExtensionBrowser, removeProfile } from './harness/extension-browser.ts';
import { approveOrigin, launchWithLoopbackAccess, startClientSite } from './harness/extension-session.ts';
import { isDirectWebRTC, nodeConnections, useRelay } from './harness/p2p-session.ts';
import { openPopup, selectTab } from './harness/popup-page.ts';
import { startRelayProcess } from './harness/serve-process.ts';

const ARTIFACTS = resolve(import.meta.dirname, '../artifacts/demo');

const SCRIPT: readonly (readonly ['alice' | 'bob', string])[] = [
  ['alice', 'Hi Bob! This message went from my browser to yours, no server in between.'],
  ['bob', 'Hi Alice, got it. My homeserver runs inside this browser extension.'],
  ['alice', 'Mine too. The relay only introduced our browsers; WebRTC carries the rest.'],
  ['bob', 'And the room lives on both of our homeservers at once.'],
  ['alice', 'Exactly. Bye for now!'],
];

interface User {
  readonly name: 'alice' | 'bob';
  readonly browser: ExtensionBrowser;
  readonly page: Page;
  readonly serverName: string;
}

const clock = () => new Date().toISOString().slice(11, 19);
const say = (line: string) => console.log(`[${clock()}] ${line}`);

async function openUser(name: User['name'], site: string, relay: string): Promise<User> {
  const browser = await launchWithLoopbackAccess();
  await approveOrigin(browser, site);
  const serverName = await useRelay(browser, relay);
  const page = await openClientPage(browser.context, site);
  const creds = await callClient(page, 'register', HOMESERVER_ORIGIN, name);
  await callClient(page, 'start', name, HOMESERVER_ORIGIN, creds);
  say(`${name} registered ${creds.userId} on the homeserver inside browser ${name === 'alice' ? 'A' : 'B'}`);
  return { name, browser, page, serverName };
}

/** Writes the conversation into the chat page, so that its screenshot shows it. */
async function showTranscript(user: User, lines: readonly string[]): Promise<void> {
  await user.page.evaluate(
    ({ who, entries }) => {
      const doc = (globalThis as unknown as { document: { body: { innerHTML: string } } }).document;
      const html = (s: string) => s.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
      doc.body.innerHTML = `<main style="font:15px system-ui;max-width:720px;margin:24px auto">
        <h1 style="font-size:18px">p2p-matrix: ${html(who)}'s view, received through /sync</h1>
        <ol style="line-height:1.6">${entries.map((e) => `<li>${html(e)}</li>`).join('')}</ol></main>`;
    },
    { who: user.name, entries: [...lines] },
  );
  await user.page.screenshot({ path: join(ARTIFACTS, `chat-${user.name}.png`) });
}

async function popupShots(user: User): Promise<void> {
  const popup = await openPopup(user.browser);
  await popup.getByRole('tab', { name: 'Home', exact: true }).waitFor();
  await popup.screenshot({ path: join(ARTIFACTS, `popup-home-${user.name}.png`) });
  await selectTab(popup, 'Peers');
  await popup.getByRole('list', { name: 'Connected peers' }).waitFor();
  await popup.screenshot({ path: join(ARTIFACTS, `popup-peers-${user.name}.png`) });
  await popup.close();
}

async function converse(alice: User, bob: User): Promise<void> {
  const users = { alice, bob };
  const roomId = await callClient(alice.page, 'createPublicRoom', 'alice', 'p2p-matrix demo');
  say(`alice created the public room "p2p-matrix demo" (${roomId})`);
  await callClient(bob.page, 'findPublicRoom', 'bob', 'p2p-matrix demo');
  say("bob found it in the network's room directory");
  await callClient(bob.page, 'join', 'bob', roomId, [alice.serverName]);
  say('bob joined');
  const received = { alice: 0, bob: 0 };
  for (const [from, body] of SCRIPT) {
    const to = from === 'alice' ? 'bob' : 'alice';
    const started = performance.now();
    await callClient(users[from].page, 'send', from, roomId, body);
    // The other side's messages so far have all come through the recipient's /sync.
    const arrived = await callClient(users[to].page, 'syncedWithPrefix', to, roomId, '', ++received[to]);
    const ms = Math.round(performance.now() - started);
    say(`${from} → ${to} (${ms} ms): ${arrived.at(-1)}`);
  }
  for (const user of [alice, bob]) {
    await showTranscript(user, await callClient(user.page, 'history', user.name, roomId));
  }
  const direct = (await nodeConnections(alice.browser)).find(
    (c) => c.serverName === bob.serverName && isDirectWebRTC(c),
  );
  say(
    direct
      ? 'the two browsers are connected directly over WebRTC (multiplexer /webrtc)'
      : 'no direct WebRTC connection (relayed)',
  );
}

export async function runDemo(): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const relay = await startRelayProcess();
  const site = await startClientSite();
  say(`relay ${relay.multiaddrs[0]}`);
  say(`chat page ${site.origin} (real matrix-js-sdk, pointed at ${HOMESERVER_ORIGIN})`);
  const users: User[] = [];
  try {
    users.push(await openUser('alice', site.origin, relay.multiaddrs[0]!));
    users.push(await openUser('bob', site.origin, relay.multiaddrs[0]!));
    await converse(users[0]!, users[1]!);
    for (const user of users) await popupShots(user);
    say(`screenshots in ${ARTIFACTS}`);
  } finally {
    for (const user of users) {
      await user.browser.close();
      removeProfile(user.browser.profileDir);
    }
    await site.close();
    await relay.stop();
  }
}

if (import.meta.main) await runDemo();
