// Reports of content by this homeserver's users (spec: "Reporting content").
// There is no server administrator in P2P: the owner reads them here, with
// the reported event as the reporter saw it, and dismisses them when done.
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ReportEntry } from '../../src/platform/web/popup-messages.ts';
import { describeError } from '../error-words.ts';
import type { PopupClient } from '../popup-client.ts';
import { ErrorText } from './error-text.ts';
import { Placeholder } from './placeholder.ts';

export interface ReportsProps {
  readonly client: Pick<PopupClient, 'request'>;
}

export function Reports({ client }: ReportsProps) {
  const [list, setList] = useState<readonly ReportEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    client.request('listReports', {}).then(setList, (err: unknown) => setError(describeError(err)));
  }, [client]);
  const dismiss = (id: number) => {
    setError(null);
    client.request('dismissReport', { id }).then(setList, (err: unknown) => setError(describeError(err)));
  };
  return h(
    'section',
    { 'aria-labelledby': 'reports-heading' },
    h('h2', { id: 'reports-heading' }, 'Reports'),
    !list && !error
      ? h(Placeholder, { lines: 3, label: 'Loading reports…' })
      : list && list.length === 0
        ? h('p', { class: 'notice' }, 'Nobody has reported anything to this homeserver.')
        : list &&
          h(
            'ul',
            { class: 'reports', 'aria-label': 'Reports' },
            list.map((r) => h(ReportItem, { key: r.id, report: r, dismiss })),
          ),
    h(ErrorText, { id: 'reports-error', message: error }),
  );
}

function subject(report: ReportEntry): string {
  if (report.kind === 'user') return `the user ${report.userId}`;
  if (report.kind === 'room') return `the room ${report.roomId}`;
  return `a message in ${report.roomId}`;
}

function eventText(report: ReportEntry): string | undefined {
  const content = report.event?.content as { body?: unknown } | undefined;
  if (typeof content?.body === 'string') return content.body;
  return report.event?.type && `(${report.event.type})`;
}

function ReportItem({ report, dismiss }: { report: ReportEntry; dismiss: (id: number) => void }) {
  const text = eventText(report);
  return h(
    'li',
    { class: 'report' },
    h(
      'p',
      null,
      h('strong', null, report.reporter),
      ` reported ${subject(report)}`,
      ` on ${new Date(report.ts).toLocaleString()}`,
    ),
    text !== undefined &&
      h(
        'blockquote',
        { class: 'reported-event' },
        report.event?.sender && h('span', { class: 'sender' }, `${report.event.sender}: `),
        text,
      ),
    h('p', null, report.reason === '' ? h('em', null, 'No reason given') : `Reason: ${report.reason}`),
    h('button', { type: 'button', onClick: () => dismiss(report.id) }, 'Dismiss'),
  );
}
