// The media tests run over both storage stacks a user runs: Dexie (rows and
// blobs over fake-indexeddb, as the extension) and SQLite with files on disk
// (as `serve --data`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { SCHEMA } from '../../../src/core/schema.ts';
import type { BlobStore } from '../../../src/core/storage/blob-port.ts';
import type { Store } from '../../../src/core/storage/port.ts';
import { openFileBlobStore } from '../../../src/node/storage/file-blob-store.ts';
import { openSqliteStore } from '../../../src/node/storage/sqlite-store.ts';
import type { HsResult, TestHomeserver } from '../../support/hs-client.ts';

export interface StorageKind {
  readonly name: string;
  /** undefined: the test homeserver's default (Dexie over fake-indexeddb). */
  readonly stores?: () => Promise<{ store: Store; blobs: BlobStore }>;
}

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

export const STORAGE_KINDS: readonly StorageKind[] = [
  { name: 'Dexie (IndexedDB)' },
  {
    name: 'SQLite and files on disk',
    stores: async () => {
      const root = mkdtempSync(join(tmpdir(), 'p2pm-media-test-'));
      roots.push(root);
      return {
        store: await openSqliteStore(join(root, 'hs.sqlite'), SCHEMA),
        blobs: await openFileBlobStore(join(root, 'media')),
      };
    },
  },
];

/** POST /_matrix/media/v3/upload of `bytes` as `contentType`; the result as the test client gives it. */
export function upload(
  t: TestHomeserver,
  token: string,
  bytes: Uint8Array,
  contentType = 'application/octet-stream',
  query = '',
): Promise<HsResult> {
  return t.request('POST', `/_matrix/media/v3/upload${query}`, bytes, token, { 'content-type': contentType });
}

/** The media id of an mxc URI of `t`. */
export function mediaIdOf(t: TestHomeserver, mxc: string): string {
  const prefix = `mxc://${t.serverName}/`;
  if (!mxc.startsWith(prefix)) throw new Error(`not an mxc URI of this server: ${mxc}`);
  return mxc.slice(prefix.length);
}

export function download(
  t: TestHomeserver,
  token: string | undefined,
  mediaId: string,
  tail = '',
): Promise<HsResult> {
  return t.request(
    'GET',
    `/_matrix/client/v1/media/download/${t.serverName}/${mediaId}${tail}`,
    undefined,
    token,
  );
}
