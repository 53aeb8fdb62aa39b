import { closeDom } from './support/dom.ts';
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { h } from 'preact';
import { Reports } from '../../popup/components/reports.ts';
import type { ReportEntry } from '../../src/platform/web/popup-messages.ts';
import { deferred, fakeClient, SERVER_NAME } from './support/fakes.ts';

afterEach(cleanup);
after(closeDom);

const REPORT: ReportEntry = {
  id: 3,
  kind: 'event',
  reporter: `@bob:${SERVER_NAME}`,
  reason: 'spam',
  ts: 0,
  roomId: `!abc:${SERVER_NAME}`,
  eventId: '$ev',
  event: {
    type: 'm.room.message',
    sender: `@mallory:${SERVER_NAME}`,
    content: { body: 'buy cheap watches' },
  },
};

describe('the reports view', () => {
  test('loading, then nothing reported', async () => {
    const pending = deferred<readonly ReportEntry[]>();
    render(h(Reports, { client: fakeClient({ listReports: () => pending.promise }) }));
    assert.ok(screen.getByText('Loading reports…'));
    pending.resolve([]);
    await screen.findByText('Nobody has reported anything to this homeserver.');
  });

  test('a report shows the reporter, the event and the reason; dismissing removes it', async () => {
    const dismissed: number[] = [];
    const client = fakeClient({
      listReports: async () => [REPORT],
      dismissReport: async ({ id }) => {
        dismissed.push(id);
        return [];
      },
    });
    render(h(Reports, { client }));
    const item = await screen.findByText(`@bob:${SERVER_NAME}`);
    assert.ok(item);
    assert.ok(screen.getByText('buy cheap watches'));
    assert.ok(screen.getByText('Reason: spam'));
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    await screen.findByText('Nobody has reported anything to this homeserver.');
    assert.deepEqual(dismissed, [3]);
  });
});
