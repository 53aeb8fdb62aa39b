// e2e-needs: ../shared/clients/element-web
//
// Element Web 1.12.7, unchanged, in two Chromiums with the extension,
// connected through a relay process: in Alice's room without encryption, Bob
// finds her message with the search box (his homeserver's `/search` over
// the events it received from hers); "Report" on it reaches the Reports tab
// of Bob's popup (his homeserver's owner reads reports: there is no server
// administrator in P2P), with the message and the reason; and a room Bob
// marks Favourite is still among his Favourites after a reload.
// Screenshots go to artifacts/element/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUnencryptedRoom, inviteToRoom } from '../../scripts/harness/element-media-ui.ts';
import {
  markFavourite,
  reportMessage,
  searchRoom,
  waitForFavourite,
} from '../../scripts/harness/element-room-ui.ts';
import {
  acceptInvite,
  openRoom,
  STEP_TIMEOUT_MS,
  screenshot,
  sendMessage,
  waitForMessage,
} from '../../scripts/harness/element-ui.ts';
import { openPopup, screenshot as popupScreenshot, selectTab } from '../../scripts/harness/popup-page.ts';
import { type ElementPair, openElementPair } from '../support/element-pair.ts';

const ROOM = 'Book club';
const MESSAGE = 'The quokka chapter was the best one';

describe('Element Web: search, reports and favourites', () => {
  let pair: ElementPair;

  before(async () => {
    pair = await openElementPair();
    const { alice, bob } = pair;
    await createUnencryptedRoom(alice.page, ROOM);
    await inviteToRoom(alice.page, `@bob:${bob.serverName}`);
    await openRoom(bob.page, ROOM);
    await acceptInvite(bob.page);
    await sendMessage(alice.page, 'Welcome, Bob');
    await sendMessage(alice.page, MESSAGE);
    await waitForMessage(bob.page, MESSAGE);
  });

  after(async () => {
    await pair?.close();
  });

  test("the search box finds Alice's message in Bob's Element", async () => {
    const { bob } = pair;
    const results = await searchRoom(bob.page, 'quokka');
    await results.getByText(MESSAGE).first().waitFor({ timeout: STEP_TIMEOUT_MS });
    // One result: "Welcome, Bob" shows only as the result's context.
    await bob.page.getByText(/1 result found for/).waitFor({ timeout: STEP_TIMEOUT_MS });
    await screenshot(bob.page, 'rooms-bob-search');
    await bob.page.keyboard.press('Escape');
  });

  test("Bob's report of the message reaches his popup's Reports, with the message and his reason", async () => {
    const { bob } = pair;
    await openRoom(bob.page, ROOM);
    await reportMessage(bob.page, MESSAGE, 'Spoilers for the rest of us');
    const popup = await openPopup(bob.browser);
    try {
      await selectTab(popup, 'Reports');
      const report = popup.getByRole('list', { name: 'Reports' }).getByRole('listitem').first();
      await report.getByText(MESSAGE).waitFor({ timeout: STEP_TIMEOUT_MS });
      await report.getByText('Reason: Spoilers for the rest of us').waitFor();
      assert.match(
        (await report.textContent()) ?? '',
        new RegExp(`@bob:${bob.serverName} reported a message`),
      );
      await popupScreenshot(popup, 'bob-report-from-element');
    } finally {
      await popup.close();
    }
  });

  test('a room Bob marks Favourite is still among his Favourites after a reload', async () => {
    const { bob } = pair;
    await markFavourite(bob.page, ROOM);
    await waitForFavourite(bob.page, ROOM);
    await bob.page.reload();
    await openRoom(bob.page, ROOM);
    await waitForFavourite(bob.page, ROOM);
    await screenshot(bob.page, 'rooms-bob-favourites');
  });
});
