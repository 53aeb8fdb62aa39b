import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openFileBlobStore } from '../../../src/node/storage/file-blob-store.ts';
import { runBlobStoreConformance } from '../../core/storage/blob-store-conformance.ts';

const root = mkdtempSync(join(tmpdir(), 'p2pm-blobs-'));
after(() => rmSync(root, { recursive: true, force: true }));

runBlobStoreConformance('files on disk', {
  open: (name) => openFileBlobStore(join(root, name)),
  durable: true,
});
