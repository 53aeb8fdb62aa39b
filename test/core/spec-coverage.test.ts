// The README's Client-Server API support table against the spec's endpoint
// list (spec/client-server-endpoints.v1.16.json, derived from matrix-spec's
// OpenAPI files at a release): every endpoint of a group the README marks
// `yes` must be routed, a `partly` group must have one routed, and a `no`
// group none. An endpoint counts as routed when the homeserver answers
// anything but M_UNRECOGNIZED (unknown path, or known path with another
// method). Requests go without a token, so nothing is changed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createTestHomeserver, type TestHomeserver } from '../support/hs-client.ts';

const spec = JSON.parse(
  readFileSync(new URL('../../spec/client-server-endpoints.v1.16.json', import.meta.url), 'utf8'),
) as {
  groups: Record<string, string[]>;
};
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** `| \`group\` | yes/partly/no | why |` rows of the README's support table. */
function claims(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of readme.matchAll(/^\| `([a-z0-9_-]+)` +\| (yes|partly|no) +\|/gm))
    rows.set(match[1]!, match[2]!);
  return rows;
}

const SAMPLE: Record<string, string> = {
  roomId: '!room:example.org',
  roomIdOrAlias: '!room:example.org',
  userId: '@user:example.org',
  eventId: '$event',
};

describe('the README support table against the spec (v1.16)', () => {
  let t: TestHomeserver;
  before(async () => {
    t = await createTestHomeserver();
  });
  after(() => t.close());

  async function routed(endpoint: string): Promise<boolean> {
    const [method, template] = endpoint.split(' ') as [string, string];
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(SAMPLE[name] ?? 'x'));
    const res = await t.request(method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
    return res.body?.errcode !== 'M_UNRECOGNIZED';
  }

  test('every group of the spec is in the table, and no group the table names is unknown', () => {
    const table = claims();
    assert.deepEqual(
      [...Object.keys(spec.groups)].filter((g) => !table.has(g)),
      [],
    );
    assert.deepEqual(
      [...table.keys()].filter((g) => !(g in spec.groups)),
      [],
    );
  });

  test('each group is routed as the table says', async () => {
    const wrong: string[] = [];
    for (const [group, status] of claims()) {
      const endpoints = spec.groups[group] ?? [];
      const served: string[] = [];
      for (const endpoint of endpoints) if (await routed(endpoint)) served.push(endpoint);
      const unrouted = endpoints.filter((e) => !served.includes(e));
      if (status === 'yes' && unrouted.length > 0)
        wrong.push(`${group} (yes): ${unrouted.join(', ')} unrouted`);
      if (status === 'partly' && served.length === 0) wrong.push(`${group} (partly): nothing routed`);
      if (status === 'no' && served.length > 0) wrong.push(`${group} (no): ${served.join(', ')} routed`);
    }
    assert.deepEqual(wrong, []);
  });
});
