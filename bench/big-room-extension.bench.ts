// Joining a big room from the extension (issue 13): the Node peer of
// big-room.bench.ts holds the room of 1,000 members and 10,000 events with
// state churn (`bigRoom`; P2PM_BIG_ROOM_DB reuses a made one); bob, in
// Chromium with the built extension, joins it through the relay, and the
// figure is the time from his join call until his client's /messages shows
// the first page of history (20 messages from before the join). The joiner's
// side is the costly one (checking and storing the state and auth chain in
// IndexedDB, then the first backfilled page); a browser holding the room is
// not measured here (making such a room in a browser takes far longer than
// the bench may). `--quick`: 200 members, 2,000 events. Prints "skipped"
// without Chromium or a build.
// Run alone: `node bench/run.ts big-room-extension` (after `npm run build`).
import { joinToFirstPage } from './big-room-browsers.bench.ts';
import { HOLDER, MEMBERS, makeRoom, savedRoom } from './big-room.bench.ts';
import { spanTotals, startTrace, takeTrace } from './delivery-trace.ts';
import { withNodeAndExtension } from './node-and-extension.ts';
import { measured } from './table.ts';

export default async function bigRoomExtensionBench(): Promise<Record<string, number> | undefined> {
  const saved = await savedRoom();
  try {
    return await withNodeAndExtension(
      HOLDER,
      saved?.store,
      async (node) => saved?.room ?? (await makeRoom(node)),
      async ({ node, browser, page }, room) => {
        await startTrace(browser.worker);
        // The join and the 20 messages before it.
        const { joinMs, firstPageMs } = await joinToFirstPage(
          { page },
          'bob',
          room.roomId,
          node.serverName,
          21,
        );
        for (const line of spanTotals(await takeTrace(browser.worker), firstPageMs)) console.log(line);
        measured('join.big.node-browser', firstPageMs);
        return {
          [`join of a ${MEMBERS}-member, ${room.events}-event room held by a Node peer, from the extension (ms)`]:
            joinMs,
          'join → first page of history shown in the extension (ms)': firstPageMs,
        };
      },
    );
  } finally {
    saved?.remove();
  }
}

if (import.meta.main) console.log(await bigRoomExtensionBench());
