// e2e-needs: ../shared/clients/element-web
//
// Element Web 1.12.7, unchanged, in two Chromiums with the extension,
// connected through a relay process: both users register through Element's
// own form and reach the home screen without a reload; Alice starts a DM with
// Bob by user ID with Element's defaults (encrypted), Bob accepts it, and
// messages decrypt both ways. Screenshots go to artifacts/element/.
// scripts/run-e2e.ts leaves this file out, and says so, where
// ../shared/clients/element-web is absent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  acceptInvite,
  encryptedMessage,
  openRoom,
  registerWithForm,
  STEP_TIMEOUT_MS,
  screenshot,
  sendMessage,
  startDirectMessage,
  undecryptableCount,
  waitForHomeScreen,
  waitForEncryptedComposer,
  waitForMessage,
} from '../../scripts/harness/element-ui.ts';
import {
  ELEMENT_PASSWORD,
  type ElementPair,
  type ElementUser as User,
  openElementPair,
} from '../support/element-pair.ts';

/** Sets a mark on the page's window: it survives anything but a reload. */
const markWindow = (user: User) =>
  user.page.evaluate(() => {
    (globalThis as { p2pmNotReloaded?: boolean }).p2pmNotReloaded = true;
  });
const windowMarked = (user: User) =>
  user.page.evaluate(() => (globalThis as { p2pmNotReloaded?: boolean }).p2pmNotReloaded === true);

describe('Element Web in two browsers with the extension, through a relay', () => {
  let pair: ElementPair;
  let alice: User;
  let bob: User;

  before(async () => {
    // Registration is the first test's subject.
    pair = await openElementPair({ register: false });
    ({ alice, bob } = pair);
  });

  after(async () => {
    await pair?.close();
  });

  test("both users register through Element's own form and reach the home screen without a reload", async () => {
    const register = async (user: User) => {
      await markWindow(user);
      await registerWithForm(user.page, user.name, ELEMENT_PASSWORD);
      await waitForHomeScreen(user.page, user.name);
      assert.ok(await windowMarked(user), `${user.name}'s page was not reloaded`);
      await screenshot(user.page, `${user.name}-home`);
    };
    await Promise.all([register(alice), register(bob)]);
  });

  test("Alice starts a DM with Bob's user ID, encrypted by Element's defaults; Bob accepts it", async () => {
    await startDirectMessage(alice.page, `@bob:${bob.serverName}`);
    // Element creates the DM room when its first message is sent.
    await sendMessage(alice.page, 'Hello Bob!');
    await waitForMessage(alice.page, 'Hello Bob!');
    await alice.page.getByText('Encryption enabled', { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.equal(
      await encryptedMessage(alice.page, 'Hello Bob!'),
      true,
      'the first message went out encrypted',
    );
    await screenshot(alice.page, 'alice-dm-created');

    await openRoom(bob.page, 'alice');
    await screenshot(bob.page, 'bob-invite');
    await acceptInvite(bob.page);
    await waitForEncryptedComposer(bob.page);
  });

  test('messages decrypt both ways', async () => {
    await sendMessage(alice.page, 'Can you read this, Bob?');
    await waitForMessage(bob.page, 'Can you read this, Bob?');
    await sendMessage(bob.page, 'Yes Alice, every word.');
    await waitForMessage(alice.page, 'Yes Alice, every word.');
    for (const [user, text] of [
      [bob, 'Can you read this, Bob?'],
      [alice, 'Yes Alice, every word.'],
    ] as const) {
      assert.equal(await encryptedMessage(user.page, text), true, `${user.name} got "${text}" encrypted`);
      assert.equal(await undecryptableCount(user.page), 0, `${user.name} sees no undecryptable message`);
      await screenshot(user.page, `${user.name}-conversation`);
    }
  });
});
