import { memoryBlobStore } from '../../../src/core/storage/memory-blob-store.ts';
import { runBlobStoreConformance } from './blob-store-conformance.ts';

runBlobStoreConformance('memory', { open: async () => memoryBlobStore(), durable: false });
