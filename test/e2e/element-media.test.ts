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
import { acceptInvite, openRoom, screenshot } from '../../scripts/harness/element-ui.ts';
import { type ElementPair, type ElementUser, openElementPair } from '../support/element-pair.ts';
import { gradientImage, noiseImage } from '../support/test-images.ts';

const ROOM = 'Photos';

const file = (name: string, bytes: Uint8Array): PickedFile => ({
  name,
  mimeType: 'image/png',
  buffer: Buffer.from(bytes),
});

describe('Element Web: an avatar and a 5 MB image, seen in the other browser', () => {
  let pair: ElementPair;
  let alice: ElementUser;
  let bob: ElementUser;
  let avatar: PickedFile;
  let photo: PickedFile;

  before(async () => {
    avatar = file('avatar.png', await gradientImage(256, 256, 'png'));
    photo = file('photo.png', await noiseImage(1300, 1300));
    assert.ok(photo.buffer.byteLength >= 5_000_000);
    pair = await openElementPair();
    ({ alice, bob } = pair);
  });

  after(async () => {
    await pair?.close();
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
    assert.equal(worker, `${pair.site.origin}/sw.js`);
    const tile = imageTile(bob.page, photo.name);
    assert.equal((await loadedImage(tile.locator('img.mx_MImageBody_thumbnail'))).scheme, 'blob:');
    assert.equal((await loadedImage(senderAvatar(tile))).scheme, 'blob:');
    await screenshot(bob.page, 'media-bob-reloaded');
  });
});
