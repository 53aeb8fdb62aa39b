// Element Web's media as a user meets it (element-ui.ts drives the rest):
// an avatar picked from the home screen, a room made without encryption (its
// images are plain `<img>`s of the homeserver URL, unlike an encrypted
// room's, which Element decrypts from a fetch), a file sent with the
// composer's "Attachment", and Element's own "Download". Files are handed to
// Element's file choosers as a user picking them would.
import type { Locator, Page } from 'playwright-core';
import { composer, STEP_TIMEOUT_MS } from './element-ui.ts';

export interface PickedFile {
  readonly name: string;
  readonly mimeType: string;
  readonly buffer: Buffer;
}

/** Clicks `opener` and picks `file` in the file chooser it opens. */
async function pickFile(page: Page, opener: Locator, file: PickedFile): Promise<void> {
  const chooser = page.waitForEvent('filechooser', { timeout: STEP_TIMEOUT_MS });
  await opener.click();
  await (await chooser).setFiles(file);
}

/** Sets the user's avatar with the home screen's "Add a photo so people know it's you." */
export async function setAvatarFromHome(page: Page, file: PickedFile): Promise<void> {
  await pickFile(page, page.getByRole('button', { name: "Add a photo so people know it's you." }), file);
}

/** The `<img>` of the user's own avatar in the user menu button (top left). */
export function ownAvatar(page: Page): Locator {
  return page.getByRole('button', { name: 'User menu' }).locator('img');
}

/** Creates a room named `name` with "New room", end-to-end encryption switched off, and waits for its composer. */
export async function createUnencryptedRoom(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'New room', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: /^Create a/ });
  await dialog.getByRole('textbox', { name: 'Name' }).fill(name);
  const encryption = dialog.getByRole('switch', { name: 'Enable end-to-end encryption' });
  await encryption.click();
  if (await encryption.isChecked()) throw new Error('end-to-end encryption could not be switched off');
  await dialog.getByRole('button', { name: 'Create room', exact: true }).click();
  await composer(page).waitFor({ timeout: STEP_TIMEOUT_MS });
}

/** Invites `userId` to the open room with its "Invite to this room" (the room's start). */
export async function inviteToRoom(page: Page, userId: string): Promise<void> {
  await page.getByRole('button', { name: 'Invite to this room', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: /^Invite to / });
  await dialog.getByRole('textbox').first().fill(userId);
  await dialog.getByRole('option').filter({ hasText: userId }).first().click({ timeout: STEP_TIMEOUT_MS });
  await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
  await dialog.waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
}

/** Sends `file` into the open room: "Attachment", the file picked, then "Upload" in Element's confirmation. */
export async function sendFile(page: Page, file: PickedFile): Promise<void> {
  await pickFile(page, page.getByRole('button', { name: 'Attachment', exact: true }), file);
  await page
    .getByRole('dialog', { name: 'Upload files' })
    .getByRole('button', { name: 'Upload', exact: true })
    .click({ timeout: STEP_TIMEOUT_MS });
}

/** The timeline tile of the image named `name` in the open room. */
export function imageTile(page: Page, name: string): Locator {
  return page.locator('.mx_EventTile').filter({ has: page.getByRole('img', { name, exact: true }) });
}

/** The avatar `<img>` of the sender beside a timeline tile. */
export function senderAvatar(tile: Locator): Locator {
  return tile.getByRole('button', { name: 'Profile picture' }).locator('img');
}

/** What loadedImage returns: the natural size of the picture shown, and the scheme of its URL. */
export interface LoadedImage {
  readonly width: number;
  readonly height: number;
  readonly scheme: string;
}

/** In the page: whether an `<img>` has loaded a picture (naturalWidth > 0, not a placeholder or an initial). */
export function pictureLoaded(el: unknown): boolean {
  const image = el as { complete: boolean; naturalWidth: number };
  return image.complete && image.naturalWidth > 0;
}

/** In the page: an `<img>`'s LoadedImage. */
export function loadedImageIn(el: unknown): LoadedImage {
  const image = el as { naturalWidth: number; naturalHeight: number; src: string };
  return { width: image.naturalWidth, height: image.naturalHeight, scheme: new URL(image.src).protocol };
}

/**
 * Waits until `img` has loaded a picture (naturalWidth > 0, what a user sees
 * as an image rather than a placeholder or an initial) and returns its
 * natural size and the scheme of the URL it shows.
 */
export async function loadedImage(img: Locator): Promise<LoadedImage> {
  await img.waitFor({ timeout: STEP_TIMEOUT_MS });
  const handle = await img.elementHandle({ timeout: STEP_TIMEOUT_MS });
  if (!handle) throw new Error('the image is gone');
  await img.page().waitForFunction(pictureLoaded, handle, { timeout: STEP_TIMEOUT_MS });
  return handle.evaluate(loadedImageIn);
}

/** Saves the file of a timeline tile with the tile's own "Download" (Message Actions); its bytes. */
export async function downloadFromTile(page: Page, tile: Locator): Promise<Buffer> {
  await tile.hover();
  const download = page.waitForEvent('download', { timeout: STEP_TIMEOUT_MS });
  await tile
    .getByRole('toolbar', { name: 'Message Actions' })
    .getByRole('button', { name: 'Download' })
    .click();
  const stream = await (await download).createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
