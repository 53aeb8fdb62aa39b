// Drives Element Web's UI as a user does: controls found by role and
// accessible name (the names Element 1.12.7 shows in English), toasts
// dismissed with their own buttons, screenshots saved as test artefacts.
// Every wait is on something appearing in the page; the timeouts are hang
// guards, generous because two browsers share two cores.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';

/** Hang guard for one step that needs the homeserver and, between browsers, the network. */
export const STEP_TIMEOUT_MS = 90_000;

export const ELEMENT_ARTIFACTS_DIR = resolve(import.meta.dirname, '../../artifacts/element');

/** Saves a screenshot of the page as artifacts/element/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await dismissNotices(page);
  mkdirSync(ELEMENT_ARTIFACTS_DIR, { recursive: true });
  const path = join(ELEMENT_ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** The buttons with which a user puts off a notice. */
export const PUT_OFF = /^(OK|Got it|Done|Next|Dismiss|Later|Not now|Close|Skip)$/;

/**
 * Notices Element shows whenever it decides: toasts (top left, role alert:
 * "Verify this session", desktop notifications, key storage) and release
 * announcements (a non-modal popover with an "OK"). Modal dialogs are not
 * notices: an error dialog must fail the test, not be clicked away.
 */
function notices(page: Page): Locator[] {
  const putOff = page.getByRole('button', { name: PUT_OFF });
  return [
    page.getByRole('alert').filter({ has: putOff }),
    page.locator('[role=dialog]:not([aria-modal=true])').filter({ has: putOff }),
  ];
}

/** Puts off one notice with the first of its buttons a user would press to put it off. */
async function putOff(notice: Locator): Promise<void> {
  const button = notice.getByRole('button', { name: PUT_OFF }).first();
  try {
    await button.click({ timeout: 10_000 });
  } catch (err) {
    // Element withdraws or replaces toasts itself (a verification toast once
    // the keys arrive): one that went away needs no click.
    if (await button.isVisible()) throw err;
  }
}

/** From now on, each notice is put off the moment it stands in the way of an action, as a user would. */
export async function dismissNoticesWhenShown(page: Page): Promise<void> {
  for (const notice of notices(page)) {
    await page.addLocatorHandler(notice, putOff, { noWaitAfter: true });
  }
}

/**
 * Puts off the notices shown now (before a screenshot, which is no action):
 * a trial hover runs the handlers of dismissNoticesWhenShown, as any action does.
 */
export async function dismissNotices(page: Page): Promise<void> {
  await page.locator('body').hover({ trial: true });
}

/** Fills Element's own "Create account" form (#/register) and submits it. */
export async function registerWithForm(page: Page, username: string, password: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Username', exact: true }).fill(username);
  await page.getByPlaceholder('Password', { exact: true }).fill(password);
  await page.getByPlaceholder('Confirm password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Register', exact: true }).click();
}

/** Waits for the home screen Element shows a signed-in user ("Welcome <name>"). */
export async function waitForHomeScreen(page: Page, displayName: string): Promise<void> {
  await page
    .getByRole('heading', { name: `Welcome ${displayName}`, exact: true })
    .waitFor({ timeout: STEP_TIMEOUT_MS });
}

/**
 * Starts a direct message with `userId` from the home screen's "Start chat":
 * the user ID typed into the dialog, its suggestion picked, "Go". Element then
 * shows the new DM's composer; the room itself is created with Element's
 * defaults when the first message is sent.
 */
export async function startDirectMessage(page: Page, userId: string): Promise<void> {
  await page.getByRole('button', { name: 'Start chat', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Direct Messages' });
  await dialog.getByRole('textbox', { name: 'Search' }).fill(userId);
  await dialog.getByRole('option').filter({ hasText: userId }).first().click({ timeout: STEP_TIMEOUT_MS });
  await dialog.getByRole('button', { name: 'Go', exact: true }).click();
  await composer(page).waitFor({ timeout: STEP_TIMEOUT_MS });
}

/** The message composer of the open room. */
export function composer(page: Page): Locator {
  return page.getByRole('textbox', { name: /^Send (a|an|an encrypted|an unencrypted) message/ });
}

/**
 * Waits until the open room's composer is the one of an encrypted room
 * (Element labels the other "Send an unencrypted message…"): right after a
 * join it may take a sync for Element to learn of the room's encryption.
 */
export async function waitForEncryptedComposer(page: Page): Promise<void> {
  await page
    .getByRole('textbox', { name: /^Send (a|an encrypted) message/ })
    .waitFor({ timeout: STEP_TIMEOUT_MS });
}

/** Types `text` into the open room's composer and sends it with Enter. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  const box = composer(page);
  await box.click();
  await box.fill(text);
  await box.press('Enter');
}

/** Opens the room or invite named `name` from the room list. */
export async function openRoom(page: Page, name: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Room list' })
    .getByRole('option', { name: new RegExp(name) })
    .first()
    .click({ timeout: STEP_TIMEOUT_MS });
}

/** Accepts the invite shown in the open room ("Start chatting" for a DM, "Accept" for a room). */
export async function acceptInvite(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^(Accept|Start chatting)$/ }).click({ timeout: STEP_TIMEOUT_MS });
  await composer(page).waitFor({ timeout: STEP_TIMEOUT_MS });
}

/** The body of a message in the open room's timeline, once it shows as text (decrypted). */
export function timelineMessage(page: Page, text: string): Locator {
  return page.locator('.mx_EventTile_body').getByText(text, { exact: true });
}

/** Waits until `text` shows in the open room's timeline. */
export async function waitForMessage(page: Page, text: string): Promise<void> {
  await timelineMessage(page, text).waitFor({ timeout: STEP_TIMEOUT_MS });
}

/** How many events of the open room's timeline show "Unable to decrypt message" (or a waiting variant). */
export function undecryptableCount(page: Page): Promise<number> {
  return page
    .locator('.mx_EventTile')
    .getByText(/Unable to decrypt|Waiting for this message/)
    .count();
}

/**
 * Whether the message with body `text` crossed the network encrypted
 * (m.room.encrypted, shown decrypted), as Element's own client holds it once
 * the server has it: a check no screen shows plainly, read from the client
 * Element exposes for debugging (`mxMatrixClientPeg`). Waits until the
 * message is in a room's live timeline (sent, or received).
 */
export async function encryptedMessage(page: Page, text: string): Promise<boolean> {
  const found = await page.waitForFunction(
    (body) => {
      interface Event {
        getContent(): { body?: unknown };
        isEncrypted(): boolean;
        getId(): string | undefined;
      }
      interface Client {
        getRooms(): { getLiveTimeline(): { getEvents(): Event[] } }[];
      }
      const peg = (globalThis as unknown as { mxMatrixClientPeg: { get(): Client } }).mxMatrixClientPeg;
      for (const room of peg.get().getRooms()) {
        const event = room
          .getLiveTimeline()
          .getEvents()
          .find((e) => e.getContent().body === body && e.getId()?.startsWith('$'));
        if (event) return { encrypted: event.isEncrypted() };
      }
      return undefined;
    },
    text,
    { timeout: STEP_TIMEOUT_MS },
  );
  return ((await found.jsonValue()) as { encrypted: boolean }).encrypted;
}
