// Element Web in Firefox ESR with the extension, driven by puppeteer-core over
// WebDriver BiDi (Playwright cannot drive Debian's Firefox, so the Playwright
// helpers of scripts/harness/element-ui.ts do not apply): the same served
// Element, the same config and the same user's steps, with the controls
// found by role and accessible name (Puppeteer's `::-p-aria`, which BiDi
// answers from Firefox's accessibility tree) or, where Element gives no
// name, by the class the Playwright helpers use too. Puppeteer has no
// handler that puts off a notice when it stands in the way, so each action
// first puts off the notices shown (putOffNotices), as a user would.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ElementHandle, Page } from 'puppeteer-core';
import { ELEMENT_VIEWPORT } from '../../scripts/harness/element-web.ts';
import { ELEMENT_ARTIFACTS_DIR, PUT_OFF, STEP_TIMEOUT_MS } from '../../scripts/harness/element-ui.ts';
import { type LoadedImage, loadedImageIn, pictureLoaded } from '../../scripts/harness/element-media-ui.ts';
import type { StaticSite } from '../../scripts/harness/static-site.ts';
import { type FirefoxWithExtension, launchFirefoxWithExtension, openShimmedPage } from './firefox-browser.ts';

export interface FirefoxElement {
  readonly firefox: FirefoxWithExtension;
  readonly page: Page;
  /** Where the browser saves downloads without asking. */
  readonly downloadDir: string;
  close(): Promise<void>;
}

/**
 * Firefox with the extension, Element's origin approved and `relay` added
 * (both as the popup leaves them: firefox-browser.ts), downloads saved to a
 * folder of its profile without a dialog, and Element open at `path` in a
 * tab of ELEMENT_VIEWPORT.
 */
export async function openElementInFirefox(
  site: StaticSite,
  relay: string,
  path = '',
): Promise<FirefoxElement> {
  const downloadDir = mkdtempSync(join(tmpdir(), 'p2pm-firefox-downloads-'));
  const firefox = await launchFirefoxWithExtension(
    {
      approvedOrigins: [site.origin],
      networkSettings: { relays: [relay], iceServers: [], displayName: '' },
    },
    {
      prefs: {
        'browser.download.folderList': 2,
        'browser.download.dir': downloadDir,
        'browser.download.useDownloadDir': true,
        'browser.download.start_downloads_in_tmp_dir': false,
        'browser.download.always_ask_before_handling_new_types': false,
        'browser.download.alwaysOpenPanel': false,
      },
    },
  );
  try {
    const page = await openShimmedPage(firefox, `${site.origin}/${path}`);
    await page.setViewport(ELEMENT_VIEWPORT);
    return { firefox, page, downloadDir, close: () => firefox.close() };
  } catch (err) {
    await firefox.close();
    throw err;
  }
}

/** `::-p-aria` for the element of `role` whose accessible name is exactly `name`. */
const aria = (role: string, name: string) => `::-p-aria([name=${JSON.stringify(name)}][role="${role}"])`;

/**
 * Puts off the notices Element shows now (toasts with role alert, release
 * announcements: non-modal dialogs) with the first of their buttons a user
 * would press to put them off (element-ui.ts's PUT_OFF). Modal dialogs stay.
 */
export async function putOffNotices(page: Page): Promise<void> {
  const buttons = ['[role=alert]', '[role=dialog]:not([aria-modal=true])']
    .flatMap((notice) => [`${notice} button`, `${notice} [role=button]`])
    .join(', ');
  // Each press may bring the next notice (or the next step of one): a few rounds at most.
  for (let round = 0; round < 10; round++) {
    let pressed = false;
    for (const button of await page.$$(buttons)) {
      const label = await button.evaluate((el) => (el as { textContent: string | null }).textContent?.trim());
      if (!pressed && PUT_OFF.test(label ?? '')) {
        // Element withdraws some toasts itself meanwhile: one that went away needs no click.
        await button.click().catch(() => {});
        pressed = true;
      }
      await button.dispose();
    }
    if (!pressed) return;
  }
}

/** Clicks what `selector` finds once it shows, after putting off the notices in its way. */
async function click(page: Page, selector: string): Promise<void> {
  await page.locator(selector).setTimeout(STEP_TIMEOUT_MS).wait();
  await putOffNotices(page);
  await page.locator(selector).setTimeout(STEP_TIMEOUT_MS).click();
}

/** Waits until `selector` finds something shown. */
async function shown(page: Page, selector: string): Promise<ElementHandle> {
  return (await page.locator(selector).setTimeout(STEP_TIMEOUT_MS).waitHandle()) as ElementHandle;
}

/** Saves a screenshot of the page as artifacts/element/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await putOffNotices(page);
  mkdirSync(ELEMENT_ARTIFACTS_DIR, { recursive: true });
  const path = join(ELEMENT_ARTIFACTS_DIR, `${name}.png`) as `${string}.png`;
  await page.screenshot({ path });
  return path;
}

/** Fills Element's own "Create account" form (#/register) and submits it. */
export async function registerWithForm(page: Page, username: string, password: string): Promise<void> {
  await page.locator(aria('textbox', 'Username')).setTimeout(STEP_TIMEOUT_MS).fill(username);
  await page.locator('input[placeholder="Password"]').fill(password);
  await page.locator('input[placeholder="Confirm password"]').fill(password);
  await click(page, aria('button', 'Register'));
}

/** Waits for the home screen Element shows a signed-in user ("Welcome <name>"). */
export async function waitForHomeScreen(page: Page, displayName: string): Promise<void> {
  await shown(page, aria('heading', `Welcome ${displayName}`));
}

/** The signed-in user's ID, as Element's own client has it (`mxMatrixClientPeg`, exposed for debugging). */
export function signedInUserId(page: Page): Promise<string> {
  return page.evaluate(() => {
    const peg = (globalThis as unknown as { mxMatrixClientPeg: { get(): { getUserId(): string } } })
      .mxMatrixClientPeg;
    return peg.get().getUserId();
  });
}

/** Opens the room or invite named `name` from the room list (its option's label names the room). */
export async function openRoom(page: Page, name: string): Promise<void> {
  await click(page, `nav[aria-label="Room list"] [role=option][aria-label*=${JSON.stringify(name)}]`);
}

/** The open room's message composer (any "Send … message…"). */
const COMPOSER = '[role=textbox][aria-label^="Send "]';

/** Accepts the invite shown in the open room ("Accept") and waits for the composer. */
export async function acceptInvite(page: Page): Promise<void> {
  await click(page, aria('button', 'Accept'));
  await shown(page, COMPOSER);
}

/** The selector of the timeline tile of the image named `name` in the open room. */
export function imageTile(name: string): string {
  return `.mx_EventTile:has(img.mx_MImageBody_thumbnail[alt=${JSON.stringify(name)}])`;
}

/** Waits until the image `selector` finds has loaded a picture (naturalWidth > 0); its size and URL scheme. */
export async function loadedImage(page: Page, selector: string): Promise<LoadedImage> {
  const img = await shown(page, selector);
  await page.waitForFunction(pictureLoaded, { timeout: STEP_TIMEOUT_MS }, img);
  return img.evaluate(loadedImageIn);
}

/**
 * Saves the file of a timeline tile with the tile's own "Download" (Message
 * Actions, shown on hover) and returns its bytes once Firefox has written it
 * whole into the download folder (no `.part` file left).
 */
export async function downloadFromTile(
  element: FirefoxElement,
  tile: string,
  fileName: string,
): Promise<Buffer> {
  const { page, downloadDir } = element;
  const path = join(downloadDir, fileName);
  const saved = () => existsSync(path) && !readdirSync(downloadDir).some((entry) => entry.endsWith('.part'));
  // Watched from before the click, so no step of the download goes unseen.
  let stop = () => {};
  const whole = new Promise<void>((resolve, reject) => {
    const watcher = watch(downloadDir, () => {
      if (saved()) resolve();
    });
    const guard = setTimeout(
      () => reject(new Error(`${fileName} was not saved in ${downloadDir}`)),
      STEP_TIMEOUT_MS,
    );
    stop = () => {
      watcher.close();
      clearTimeout(guard);
    };
  });
  try {
    await putOffNotices(page);
    await page.locator(tile).setTimeout(STEP_TIMEOUT_MS).hover();
    await click(page, `${tile} .mx_MessageActionBar_downloadButton`);
    await whole;
  } finally {
    stop();
  }
  return readFileSync(path);
}
