// Two browsers with the extension and a local relay: each is given the relay
// in its popup; browser B's server then appears in browser A's open popup as
// a connected peer, without reopening it, under the name B's user gave it in
// B's settings, and goes away when B closes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { type Relay, startRelay } from '../../src/node/relay.ts';
import {
  type ExtensionBrowser,
  launchExtensionBrowser,
  removeProfile,
} from '../../scripts/harness/extension-browser.ts';
import { openPopup, screenshot, selectTab } from '../../scripts/harness/popup-page.ts';

/** Creates the account in `popup` and returns its server name (the part of the user ID after ':'). */
async function createAccount(popup: Page, username: string): Promise<string> {
  await popup.getByLabel('Username').fill(username);
  await popup.getByLabel('Password').fill('correct horse battery');
  await popup.getByRole('button', { name: 'Create account' }).click();
  const userId = await popup.getByRole('textbox', { name: 'Your user ID' }).inputValue();
  return userId.slice(userId.indexOf(':') + 1);
}

async function addRelay(popup: Page, addr: string): Promise<void> {
  await selectTab(popup, 'Peers');
  await popup.getByLabel('Multiaddr').fill(addr);
  await popup.getByRole('button', { name: 'Add relay' }).click();
  await popup.getByRole('list', { name: 'Relays' }).getByText('Connected', { exact: true }).waitFor();
}

describe("a second browser's peer in the popup", () => {
  let relay: Relay;
  let a: ExtensionBrowser;
  let b: ExtensionBrowser | undefined;

  before(async () => {
    relay = await startRelay();
    a = await launchExtensionBrowser();
    b = await launchExtensionBrowser();
  });

  after(async () => {
    await a?.close();
    await b?.close();
    await relay?.stop();
    if (a) removeProfile(a.profileDir);
    if (b) removeProfile(b.profileDir);
  });

  test('appears while the popup is open, and leaves when that browser closes', async () => {
    const popupA = await openPopup(a);
    const popupB = await openPopup(b!);
    await createAccount(popupA, 'alice');
    const serverB = await createAccount(popupB, 'bob');
    await selectTab(popupB, 'Settings');
    await popupB.getByLabel('Display name (what other peers see)').fill('Bob’s browser');
    await popupB.getByRole('button', { name: 'Save settings' }).click();
    await popupB.getByText('Saved.', { exact: true }).waitFor();
    await addRelay(popupA, relay.multiaddrs[0]!);
    await addRelay(popupB, relay.multiaddrs[0]!);
    await selectTab(popupA, 'Peers');
    const peers = popupA.getByRole('list', { name: 'Connected peers' });
    const row = peers.getByRole('listitem').filter({ has: popupA.getByTitle(serverB, { exact: true }) });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /Direct \(WebRTC\)|Through a relay|Websocket/);
    await row.getByText('Bob’s browser', { exact: true }).waitFor();
    await selectTab(popupA, 'Home');
    assert.notEqual(
      await popupA.getByText('Connected peers', { exact: true }).locator('+ dd').textContent(),
      '0',
    );
    await selectTab(popupA, 'Peers');
    await screenshot(popupA, 'peers-connected');
    await b!.close();
    removeProfile(b!.profileDir);
    b = undefined;
    await row.waitFor({ state: 'detached', timeout: 60_000 });
  });
});
