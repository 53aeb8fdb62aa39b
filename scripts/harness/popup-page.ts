// Drives the extension's popup (popup.html opened as a tab, at the popup's
// size) in a browser launched by extension-browser.ts: finds its controls by
// role and accessible name as a screen reader would, saves screenshots as
// test artefacts, and runs axe-core on it.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { ExtensionBrowser } from './extension-browser.ts';

/** The popup's size (popup.css): the browser shows it in a bubble of this size. */
export const POPUP_SIZE = { width: 400, height: 580 };

export const ARTIFACTS_DIR = resolve(import.meta.dirname, '../../artifacts/popup');

export async function openPopup(browser: ExtensionBrowser): Promise<Page> {
  const page = await browser.context.newPage();
  await page.setViewportSize(POPUP_SIZE);
  await page.goto(`chrome-extension://${browser.extensionId}/popup.html`);
  return page;
}

export async function selectTab(page: Page, name: string): Promise<void> {
  await page.getByRole('tab', { name, exact: true }).click();
  await page.getByRole('tabpanel', { name, exact: true }).waitFor();
}

/** Saves a screenshot of the popup as artifacts/popup/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

export interface AxeViolation {
  readonly id: string;
  readonly help: string;
  readonly targets: string[];
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's WCAG 2.x A/AA and best-practice rules on the page as it is now.
 * The source is evaluated through the debugging protocol, which the
 * extension page's CSP (script-src 'self') does not cover.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    type AxeResult = { violations: { id: string; help: string; nodes: { target: string[] }[] }[] };
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<AxeResult> } })
      .axe;
    const doc = (globalThis as unknown as { document: unknown }).document;
    const result = await axe.run(doc, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'],
      },
    });
    return result.violations.map((v) => ({
      id: v.id,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
}

/**
 * The accessible names of the focused control, starting from the selected
 * tab and then after each of `presses` presses of the Tab key.
 */
export async function focusOrder(page: Page, presses: number): Promise<string[]> {
  await page.getByRole('tab', { selected: true }).focus();
  const names = [await focusedName(page)];
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press('Tab');
    names.push(await focusedName(page));
  }
  return names;
}

function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    type Focused = {
      getAttribute(name: string): string | null;
      labels?: ArrayLike<{ textContent: string | null }> | null;
      textContent: string | null;
      tagName: string;
    };
    const el = (globalThis as unknown as { document: { activeElement: Focused | null } }).document
      .activeElement;
    if (!el) return '';
    const label = el.labels && el.labels.length > 0 ? el.labels[0]!.textContent : null;
    return (el.getAttribute('aria-label') ?? label ?? el.textContent ?? el.tagName).trim();
  });
}
