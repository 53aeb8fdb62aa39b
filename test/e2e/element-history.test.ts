// e2e-needs: ../shared/clients/element-web
//
// Element Web 1.12.7, unchanged, in two Chromiums with the extension,
// connected through a relay process (as element-dm.test.ts): Alice's room
// has a name and a conversation before Bob is invited; Bob's invite shows
// the room's name, and once he joins he reads what was said before he came
// (his homeserver backfills it from Alice's); after a reload his Element
// still shows the room's name and Alice's display name. In the room Bob just
// joined, each sees the other typing. Screenshots go to artifacts/element/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  acceptInvite,
  composer,
  openRoom,
  STEP_TIMEOUT_MS,
  screenshot,
  sendMessage,
  waitForMessage,
} from '../../scripts/harness/element-ui.ts';
import { type ElementPair, type ElementUser, openElementPair } from '../support/element-pair.ts';

const ROOM = 'Tea party';
const BEFORE = ['Welcome to the party', 'The tea is ready', 'Who is coming?'];

/** Element's "… is typing" line above the composer, naming `who`. */
const typingLine = (page: Page, who: string) =>
  page.locator('.mx_WhoIsTypingTile').getByText(new RegExp(`${who}.* is typing`));

describe('Element Web: history, names and invites across two browsers', () => {
  let pair: ElementPair;
  let alice: ElementUser;
  let bob: ElementUser;

  before(async () => {
    pair = await openElementPair();
    ({ alice, bob } = pair);
  });

  after(async () => {
    await pair?.close();
  });

  test('Alice’s named room has a conversation; Bob’s invite shows its name', async () => {
    // Setting up through Element's own client (what its "New room" dialog and
    // profile settings call); the checks below are what the users see.
    const roomId = await alice.page.evaluate(async (name) => {
      interface Client {
        setDisplayName(name: string): Promise<unknown>;
        createRoom(options: object): Promise<{ room_id: string }>;
      }
      const peg = (globalThis as unknown as { mxMatrixClientPeg: { get(): Client } }).mxMatrixClientPeg;
      await peg.get().setDisplayName('Alice Liddell');
      return (await peg.get().createRoom({ name, preset: 'private_chat', topic: 'Mad hatters only' }))
        .room_id;
    }, ROOM);
    assert.match(roomId, /^!/);
    await openRoom(alice.page, ROOM);
    for (const text of BEFORE) {
      await sendMessage(alice.page, text);
      await waitForMessage(alice.page, text);
    }
    await alice.page.evaluate(
      async ([id, userId]) => {
        const peg = (
          globalThis as unknown as {
            mxMatrixClientPeg: { get(): { invite(roomId: string, userId: string): Promise<unknown> } };
          }
        ).mxMatrixClientPeg;
        await peg.get().invite(id!, userId!);
      },
      [roomId, `@bob:${bob.serverName}`],
    );
    await openRoom(bob.page, ROOM);
    await screenshot(bob.page, 'bob-history-invite');
  });

  test('Bob joins and reads what was said before he came', async () => {
    await acceptInvite(bob.page);
    for (const text of BEFORE) await waitForMessage(bob.page, text);
    await screenshot(bob.page, 'bob-history-joined');
  });

  test('in the room he just joined, Bob sees Alice typing, and she sees him', async () => {
    // The join came from the invite Bob was looking at: his first sync of the
    // joined room is limited (its timeline does not reach the creation), and
    // Element's typing line must still follow the room's members.
    await openRoom(alice.page, ROOM);
    await composer(alice.page).click();
    await composer(alice.page).pressSequentially('Milk or lemon');
    await typingLine(bob.page, 'Alice Liddell').waitFor({ timeout: STEP_TIMEOUT_MS });
    await screenshot(bob.page, 'bob-history-typing');
    await composer(bob.page).click();
    await composer(bob.page).pressSequentially('Lemon');
    await typingLine(alice.page, 'bob').waitFor({ timeout: STEP_TIMEOUT_MS });
    // Sending ends the typing: the line goes on the other side.
    await composer(alice.page).press('Enter');
    await waitForMessage(bob.page, 'Milk or lemon');
    await typingLine(bob.page, 'Alice Liddell').waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
    await composer(bob.page).press('Enter');
    await waitForMessage(alice.page, 'Lemon');
  });

  test('after a reload, Bob’s Element shows the room’s name and Alice’s name', async () => {
    await bob.page.reload();
    await openRoom(bob.page, ROOM);
    await waitForMessage(bob.page, BEFORE.at(-1)!);
    await bob.page
      .getByRole('heading', { name: ROOM })
      .or(bob.page.locator('.mx_RoomHeader').getByText(ROOM, { exact: true }))
      .first()
      .waitFor({ timeout: STEP_TIMEOUT_MS });
    await bob.page
      .locator('.mx_DisambiguatedProfile')
      .getByText('Alice Liddell', { exact: true })
      .first()
      .waitFor({ timeout: STEP_TIMEOUT_MS });
    await screenshot(bob.page, 'bob-history-reloaded');
  });
});
