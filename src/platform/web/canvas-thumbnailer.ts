// The Thumbnailer port in the browser (the extension's background: Chrome's
// service worker, Firefox's event page): createImageBitmap decodes,
// OffscreenCanvas scales, crops and encodes.
// Both exist in workers and pages of Chromium and Firefox. It cannot make
// animated thumbnails (a canvas has one frame), so `animates` is false and
// the core serves an animated source whole when one is asked for.
import type { Thumbnail, Thumbnailer, ThumbnailSpec } from '../../core/public.ts';
import { planThumbnail } from './thumbnail-plan.ts';

const TYPES = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/apng',
  'image/bmp',
]);

/** Refuse to decode more than this many pixels (a decompression bomb). */
const MAX_INPUT_PIXELS = 50_000_000;

export const canvasThumbnailer: Thumbnailer = {
  types: TYPES,
  animates: false,
  async thumbnail(
    source: Uint8Array,
    contentType: string,
    spec: ThumbnailSpec,
  ): Promise<Thumbnail | undefined> {
    let full: ImageBitmap | undefined;
    try {
      const blob = new Blob([source as Uint8Array<ArrayBuffer>], { type: contentType });
      full = await createImageBitmap(blob);
      if (full.width * full.height > MAX_INPUT_PIXELS) return undefined;
      const plan = planThumbnail(full.width, full.height, spec);
      const canvas = new OffscreenCanvas(plan.width, plan.height);
      const context = canvas.getContext('2d');
      if (!context) return undefined;
      context.imageSmoothingQuality = 'high';
      context.drawImage(full, plan.sx, plan.sy, plan.sw, plan.sh, 0, 0, plan.width, plan.height);
      const type = contentType === 'image/jpeg' ? 'image/jpeg' : 'image/png';
      const out = await canvas.convertToBlob({ type, quality: 0.8 });
      return {
        bytes: new Uint8Array(await out.arrayBuffer()),
        contentType: type,
        width: plan.width,
        height: plan.height,
      };
    } catch {
      return undefined;
    } finally {
      full?.close();
    }
  },
};
