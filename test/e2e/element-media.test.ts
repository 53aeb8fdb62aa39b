// e2e-needs: ../shared/clients/element-web
//
// Element Web 1.12.7, unchanged, in two Chromiums with the extension,
// connected through a relay process: Alice sets an avatar and sends a 5 MB
// image into a room; in Bob's browser both appear (Element shows them as
// `<img>`s of the homeserver URL: the content script gives them the media,
// fetched by Bob's homeserver from Alice's over P2P), and the file Bob saves
// with Element's "Download" is Alice's, byte for byte. The room is made
// without encryption, so its image is such an `<img>`; an encrypted room's
// images go through Element's own fetch and decryption instead. After a
// reload Element's service worker (sw.js) controls the page, and the media
// still shows: no `<img>` load of the homeserver URL reaches it. Screenshots
// go to artifacts/element/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createUnencryptedRoom,
  downloadFromTile,
  imageTile,
  inviteToRoom,
  loadedImage,
  ownAvatar,
  type PickedFile,
  senderAvatar,
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
  acceptInvite,
  dismissNoticesWhenShown,
  openRoom,
  registerWithForm,
  screenshot,
  waitForHomeScreen,
} from '../../scripts/harness/element-ui.ts';
import { removeProfile } from '../../scripts/harness/extension-browser.ts';
import { type RelayProcess, startRelayProcess } from '../../scripts/harness/serve-process.ts';
import type { StaticSite } from '../../scripts/harness/static-site.ts';
import { gradientImage, noiseImage } from '../support/test-images.ts';

const PASSWORD = 'correct horse battery staple';
const ROOM = 'Photos';

interface User extends ElementBrowser {
  readonly name: 'alice' | 'bob';
}

const file = (name: string, bytes: Uint8Array): PickedFile => ({
  name,
  mimeType: 'image/png',
  buffer: Buffer.from(bytes),
});

describe('Element Web: an avatar and a 5 MB image, seen in the other browser', () => {
  let relay: RelayProcess;
  let site: StaticSite;
  let alice: User;
  let bob: User;
  let avatar: PickedFile;
  let photo: PickedFile;

  before(async () => {
    const missing = elementWebMissing();
    if (missing) throw new Error(`Element Web is needed here: ${missing}`);
    avatar = file('avatar.png', await gradientImage(256, 256, 'png'));
    photo = file('photo.png', await noiseImage(1300, 1300));
    assert.ok(photo.buffer.byteLength >= 5_000_000);
    relay = await startRelayProcess();
    site = await startElementWeb();
    const open = async (name: User['name']): Promise<User> => {
      const user = { ...(await openElement(site, relay.multiaddrs[0]!, '#/register')), name };
      await dismissNoticesWhenShown(user.page);
      return user;
    };
    alice = await open('alice');
    bob = await open('bob');
    await Promise.all(
      [alice, bob].map(async (user) => {
        await registerWithForm(user.page, user.name, PASSWORD);
        await waitForHomeScreen(user.page, user.name);
      }),
    );
  });

  after(async () => {
    for (const user of [alice, bob]) {
      await user?.browser.close();
      if (user) removeProfile(user.browser.profileDir);
    }
    await site?.close();
    await relay?.stop();
  });

  test('Alice sets an avatar, and Element shows it to her', async () => {
    await setAvatarFromHome(alice.page, avatar);
    const shown = await loadedImage(ownAvatar(alice.page));
    assert.ok(shown.width > 0);
    assert.equal(shown.scheme, 'blob:', 'the <img> shows the media the content script fetched');
    await screenshot(alice.page, 'media-alice-avatar');
  });

  test('Alice makes a room without encryption and invites Bob, who joins', async () => {
    await createUnencryptedRoom(alice.page, ROOM);
    await inviteToRoom(alice.page, `@bob:${bob.serverName}`);
    await openRoom(bob.page, ROOM);
    await acceptInvite(bob.page);
  });

  test('Alice sends a 5 MB image, and sees it', async () => {
    await sendFile(alice.page, photo);
    const tile = imageTile(alice.page, photo.name);
    assert.ok((await loadedImage(tile.locator('img.mx_MImageBody_thumbnail'))).width > 0);
    assert.ok((await loadedImage(senderAvatar(tile))).width > 0);
    await screenshot(alice.page, 'media-alice-room');
  });

  test("in Bob's browser, Alice's avatar and her image appear", async () => {
    const tile = imageTile(bob.page, photo.name);
    const image = await loadedImage(tile.locator('img.mx_MImageBody_thumbnail'));
    assert.ok(image.width > 0);
    assert.equal(image.scheme, 'blob:');
    const face = await loadedImage(senderAvatar(tile));
    assert.ok(face.width > 0);
    assert.equal(face.scheme, 'blob:');
    await screenshot(bob.page, 'media-bob-room');
  });

  test("the file Bob downloads with Element's Download is Alice's, byte for byte", async () => {
    const saved = await downloadFromTile(bob.page, imageTile(bob.page, photo.name));
    assert.equal(saved.byteLength, photo.buffer.byteLength);
    assert.ok(saved.equals(photo.buffer), 'the downloaded bytes differ from the sent file');
  });

  test("after Bob reloads, with Element's service worker in control of the page, they still appear", async () => {
    await bob.page.reload();
    const worker = await bob.page.evaluate(() => {
      const { serviceWorker } = navigator as unknown as {
        serviceWorker: { controller: { scriptURL: string } | null };
      };
      return serviceWorker.controller?.scriptURL;
    });
    assert.equal(worker, `${site.origin}/sw.js`);
    const tile = imageTile(bob.page, photo.name);
    assert.equal((await loadedImage(tile.locator('img.mx_MImageBody_thumbnail'))).scheme, 'blob:');
    assert.equal((await loadedImage(senderAvatar(tile))).scheme, 'blob:');
    await screenshot(bob.page, 'media-bob-reloaded');
  });
});
