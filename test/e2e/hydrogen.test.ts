// Hydrogen (hydrogen-view-sdk 0.3.1, with olm 3.2.15 from the npm registry)
// on an approved page in Chromium with the extension: it signs in to the
// extension's homeserver (its session loads only once its keys are
// uploaded), and shows an encrypted room's timeline with the message it
// sent there, which went to the homeserver as m.room.encrypted.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import { type ExtensionBrowser, removeProfile } from '../../scripts/harness/extension-browser.ts';
import { approveOrigin, launchWithLoopbackAccess } from '../../scripts/harness/extension-session.ts';
import type { HydrogenPageApi } from '../../scripts/harness/hydrogen-page/client.ts';
import { startHydrogenSite } from '../../scripts/harness/hydrogen-page/bundle.ts';
import type { StaticSite } from '../../scripts/harness/static-site.ts';

const PASSWORD = 'correct horse battery staple';
const MESSAGE = 'Hello from Hydrogen, encrypted';

/** Calls the Hydrogen page's API (client.ts) in the page. */
function hydrogen<M extends keyof HydrogenPageApi>(
  page: Page,
  method: M,
  ...args: Parameters<HydrogenPageApi[M]>
): Promise<Awaited<ReturnType<HydrogenPageApi[M]>>> {
  return page.evaluate(
    ([name, params]) => {
      const api = (globalThis as unknown as { p2pmHydrogen: Record<string, (...a: unknown[]) => unknown> })
        .p2pmHydrogen;
      return api[name]!(...params);
    },
    [method, args] as [string, unknown[]],
  ) as Promise<Awaited<ReturnType<HydrogenPageApi[M]>>>;
}

/** A Client-Server API call from the page, through the extension's shim. */
function matrix(page: Page, method: string, path: string, body?: unknown, token?: string): Promise<unknown> {
  return page.evaluate(
    async ([base, m, p, b, t]) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (t) headers.authorization = `Bearer ${t}`;
      const res = await fetch(`${base}${p}`, {
        method: m,
        headers,
        body: b === undefined ? undefined : JSON.stringify(b),
      });
      return res.json();
    },
    [HOMESERVER_ORIGIN, method, path, body, token] as const,
  );
}

describe('Hydrogen with olm on the extension', () => {
  let site: StaticSite;
  let browser: ExtensionBrowser;
  let page: Page;
  let token = '';
  let roomId = '';

  before(async () => {
    site = await startHydrogenSite();
    browser = await launchWithLoopbackAccess();
    await approveOrigin(browser, site.origin);
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${site.origin}/`);
    // Alice's account and an encrypted room, made with plain API calls from another device.
    const auth = { type: 'm.login.dummy' };
    const first = (await matrix(page, 'POST', '/_matrix/client/v3/register', {
      username: 'alice',
      password: PASSWORD,
    })) as {
      session: string;
    };
    const registered = (await matrix(page, 'POST', '/_matrix/client/v3/register', {
      username: 'alice',
      password: PASSWORD,
      auth: { ...auth, session: first.session },
    })) as { access_token: string };
    token = registered.access_token;
    const created = (await matrix(
      page,
      'POST',
      '/_matrix/client/v3/createRoom',
      {
        name: 'Hydrogen room',
        preset: 'private_chat',
        initial_state: [
          { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
        ],
      },
      token,
    )) as { room_id: string };
    roomId = created.room_id;
  });

  after(async () => {
    await browser?.close();
    await site?.close();
    if (browser) removeProfile(browser.profileDir);
  });

  test("signs in to the extension's homeserver and loads its session (keys uploaded)", async () => {
    assert.equal(await hydrogen(page, 'signIn', HOMESERVER_ORIGIN, 'alice', PASSWORD), 'Ready');
    const devices = (await matrix(
      page,
      'POST',
      '/_matrix/client/v3/keys/query',
      { device_keys: { [`@alice:${await serverName(page, token)}`]: [] } },
      token,
    )) as {
      device_keys: Record<string, Record<string, unknown>>;
    };
    const ownDevices = Object.values(devices.device_keys)[0] ?? {};
    assert.equal(Object.keys(ownDevices).length, 1, "Hydrogen's device published its keys");
  });

  test("shows the encrypted room's timeline with the message it sent, encrypted on the server", async () => {
    await hydrogen(page, 'send', roomId, MESSAGE);
    await hydrogen(page, 'showRoom', roomId);
    // Hydrogen shows a message's text and its time in one element.
    await page.locator('.Timeline').getByText(MESSAGE).waitFor({ timeout: 60_000 });
    const messages = (await matrix(
      page,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=10`,
      undefined,
      token,
    )) as { chunk: { type: string; content: { algorithm?: string; body?: string } }[] };
    const encrypted = messages.chunk.filter((e) => e.type === 'm.room.encrypted');
    assert.equal(encrypted.length, 1, 'the message is on the homeserver as m.room.encrypted');
    assert.equal(encrypted[0]!.content.algorithm, 'm.megolm.v1.aes-sha2');
    assert.ok(!messages.chunk.some((e) => e.content.body === MESSAGE), 'no plaintext copy on the homeserver');
    await page.screenshot({ path: resolve(import.meta.dirname, '../../artifacts/hydrogen/timeline.png') });
  });
});

/** The homeserver's server name, from whoami. */
async function serverName(page: Page, token: string): Promise<string> {
  const { user_id } = (await matrix(page, 'GET', '/_matrix/client/v3/account/whoami', undefined, token)) as {
    user_id: string;
  };
  return user_id.slice(user_id.indexOf(':') + 1);
}
