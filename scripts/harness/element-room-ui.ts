// Element Web's room features as a user reaches them (element-ui.ts drives
// the rest): the message search of "Room info", "Favourited" in a room's
// "More Options" in the room list, and "Report" in a message's "Options".
import type { Locator, Page } from 'playwright-core';
import { STEP_TIMEOUT_MS, timelineMessage } from './element-ui.ts';

/**
 * Searches the open room's messages for `term` with "Search messages…" in
 * its "Room info" panel; returns the results' list (the timeline's place).
 */
export async function searchRoom(page: Page, term: string): Promise<Locator> {
  const field = page.getByPlaceholder('Search messages…');
  if (!(await field.isVisible())) await page.getByRole('button', { name: 'Room info' }).first().click();
  await field.fill(term);
  await field.press('Enter');
  return page.locator('.mx_RoomView_searchResultsPanel');
}

/** The room list's entry for the room named `name`. */
function roomEntry(page: Page, name: string): Locator {
  return page
    .getByRole('navigation', { name: 'Room list' })
    .getByRole('option', { name: new RegExp(name) })
    .first();
}

/** Marks the room `name` as a favourite with "Favourited" in its "More Options" (room list). */
export async function markFavourite(page: Page, name: string): Promise<void> {
  const entry = roomEntry(page, name);
  await entry.hover();
  await entry.getByRole('button', { name: 'More Options' }).click();
  const item = page.getByRole('menuitemcheckbox', { name: 'Favourited' });
  await item.click();
  await page.keyboard.press('Escape');
}

/**
 * Waits until Element holds the room `name` as a favourite (the
 * `m.favourite` tag its room list's Favourites filter reads, as the server
 * sent it in /sync), read from the client Element exposes
 * (`mxMatrixClientPeg`); hang guard STEP_TIMEOUT_MS.
 */
export async function waitForFavourite(page: Page, name: string): Promise<void> {
  await page.waitForFunction(
    (roomName) => {
      interface Client {
        getRooms(): { name: string; tags: Record<string, unknown> }[];
      }
      const peg = (globalThis as unknown as { mxMatrixClientPeg?: { get(): Client | null } })
        .mxMatrixClientPeg;
      const room = peg
        ?.get()
        ?.getRooms()
        .find((r) => r.name === roomName);
      return room !== undefined && 'm.favourite' in room.tags;
    },
    name,
    { timeout: STEP_TIMEOUT_MS, polling: 250 },
  );
}

/**
 * Reports the message with body `text` in the open room: "Options" on its
 * tile, "Report", the reason typed into the dialog, "Send report".
 */
export async function reportMessage(page: Page, text: string, reason: string): Promise<void> {
  const tile = page
    .locator('.mx_EventTile')
    .filter({ has: timelineMessage(page, text) })
    .last();
  await tile.hover();
  await tile.getByRole('button', { name: 'Options' }).click();
  await page.getByRole('menuitem', { name: 'Report', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: /^Report/ });
  await dialog.getByRole('textbox').fill(reason);
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
}
