// e2e-needs: ../shared/clients/element-web
//
// Element Web 1.12.7, unchanged, in Firefox ESR with the extension (Bob)
// and in Chromium with the extension (Alice), connected through a relay
// process: Alice sets an avatar and sends an image into a room without
// encryption; in Bob's Firefox both appear (Element shows them as `<img>`s
// of the homeserver URL; the add-on's content script gives them the media,
// which Bob's homeserver in Firefox's event page fetched from Alice's in
// Chromium's offscreen document over WebRTC), and the file Bob saves with
// Element's "Download" is Alice's, byte for byte. Firefox is driven with
// puppeteer-core over WebDriver BiDi (test/support/element-firefox.ts).
// Screenshots go to artifacts/element/firefox-*.png.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  createUnencryptedRoom,
  inviteToRoom,
  type PickedFile,
  sendFile,
  setAvatarFromHome,
} from '../../scripts/harness/element-media-ui.ts';
import {
  type ElementBrowser,
  elementWebMissing,
  openElement,
  startElementWeb,
} from '../../scripts/harness/element-web.ts';
import {
  dismissNoticesWhenShown,
  registerWithForm,
  screenshot,
  waitForHomeScreen,
} from '../../scripts/harness/element-ui.ts';
import { removeProfile } from '../../scripts/harness/extension-browser.ts';
import { type RelayProcess, startRelayProcess } from '../../scripts/harness/serve-process.ts';
import type { StaticSite } from '../../scripts/harness/static-site.ts';
import { ELEMENT_PASSWORD } from '../support/element-pair.ts';
import * as firefox from '../support/element-firefox.ts';
import { gradientImage, noiseImage } from '../support/test-images.ts';

const ROOM = 'Fox photos';

const file = (name: string, bytes: Uint8Array): PickedFile => ({
  name,
  mimeType: 'image/png',
  buffer: Buffer.from(bytes),
});

describe('Element Web in Firefox: an avatar and an image sent from Chromium', () => {
  let relay: RelayProcess;
  let site: StaticSite;
  let alice: ElementBrowser;
  let bob: firefox.FirefoxElement;
  let bobId: string;
  let avatar: PickedFile;
  let photo: PickedFile;

  before(async () => {
    const missing = elementWebMissing();
    if (missing) throw new Error(`Element Web is needed here: ${missing}`);
    avatar = file('avatar.png', await gradientImage(256, 256, 'png'));
    photo = file('photo.png', await noiseImage(700, 700));
    relay = await startRelayProcess();
    site = await startElementWeb();
    alice = await openElement(site, relay.multiaddrs[0]!, '#/register');
    await dismissNoticesWhenShown(alice.page);
    bob = await firefox.openElementInFirefox(site, relay.multiaddrs[0]!, '#/register');
    await Promise.all([
      (async () => {
        await registerWithForm(alice.page, 'alice', ELEMENT_PASSWORD);
        await waitForHomeScreen(alice.page, 'alice');
      })(),
      (async () => {
        await firefox.registerWithForm(bob.page, 'bob', ELEMENT_PASSWORD);
        await firefox.waitForHomeScreen(bob.page, 'bob');
      })(),
    ]);
    bobId = await firefox.signedInUserId(bob.page);
  });

  after(async () => {
    await bob?.close();
    if (bob) rmSync(bob.downloadDir, { recursive: true, force: true });
    await alice?.browser.close();
    if (alice) removeProfile(alice.browser.profileDir);
    await site?.close();
    await relay?.stop();
  });

  test('Bob registers in Firefox and joins the room Alice made in Chromium', async () => {
    await firefox.screenshot(bob.page, 'firefox-bob-home');
    await setAvatarFromHome(alice.page, avatar);
    await createUnencryptedRoom(alice.page, ROOM);
    await inviteToRoom(alice.page, bobId);
    await firefox.openRoom(bob.page, ROOM);
    await firefox.acceptInvite(bob.page);
  });

  test("Alice's image and avatar appear in Bob's Firefox", async () => {
    await sendFile(alice.page, photo);
    await screenshot(alice.page, 'firefox-alice-room');
    const tile = firefox.imageTile(photo.name);
    const image = await firefox.loadedImage(bob.page, `${tile} img.mx_MImageBody_thumbnail`);
    assert.ok(image.width > 0);
    assert.equal(image.scheme, 'blob:', 'the <img> shows the media the content script fetched');
    const face = await firefox.loadedImage(bob.page, `${tile} .mx_EventTile_avatar img`);
    assert.ok(face.width > 0);
    assert.equal(face.scheme, 'blob:');
    await firefox.screenshot(bob.page, 'firefox-bob-room');
  });

  test("the file Bob downloads with Element's Download in Firefox is Alice's, byte for byte", async () => {
    const saved = await firefox.downloadFromTile(bob, firefox.imageTile(photo.name), photo.name);
    assert.equal(saved.byteLength, photo.buffer.byteLength);
    assert.ok(saved.equals(photo.buffer), 'the downloaded bytes differ from the sent file');
  });
});
