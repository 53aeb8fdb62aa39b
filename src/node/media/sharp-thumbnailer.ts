// The Thumbnailer port in Node, over sharp (libvips, prebuilt for Linux,
// macOS and Windows inside its @img/* npm packages: nothing is downloaded
// from elsewhere at install). Chosen over the pure-JavaScript jimp by
// measurement on a 4000×3000 JPEG (bench/media.bench.ts): sharp made a 96×96
// crop in about 10–20 ms (libjpeg's shrink-on-load decodes at 1/8 scale),
// jimp in about 2.9 s with the whole image decoded in JavaScript.
//
// Inputs are bounded: at most 50 megapixels are decoded (sharp's
// limitInputPixels; a larger image fails as "not an image we can read"),
// EXIF orientation is applied, metadata is not copied to the thumbnail.
// JPEG sources give JPEG thumbnails; others PNG (transparency kept), and an
// animated source asked for as animated gives an animated WebP.
import type { Thumbnail, Thumbnailer, ThumbnailSpec } from '../../core/public.ts';

const MAX_INPUT_PIXELS = 50_000_000;

/**
 * sharp is loaded on the first thumbnail, not with the CLI: its native
 * library is big, and a peer that never makes a thumbnail never loads it.
 */
let loaded: Promise<typeof import('sharp')['default']> | undefined;
const loadSharp = () => {
  loaded ??= import('sharp').then((module) => module.default);
  return loaded;
};

const TYPES = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/tiff',
  'image/apng',
]);

export const sharpThumbnailer: Thumbnailer = {
  types: TYPES,
  animates: true,
  async thumbnail(
    source: Uint8Array,
    contentType: string,
    spec: ThumbnailSpec,
  ): Promise<Thumbnail | undefined> {
    const sharp = await loadSharp();
    try {
      const animated = spec.animated && contentType !== 'image/jpeg';
      let image = sharp(source, { limitInputPixels: MAX_INPUT_PIXELS, animated, failOn: 'error' })
        .rotate()
        .resize(spec.width, spec.height, {
          fit: spec.method === 'crop' ? 'cover' : 'inside',
          withoutEnlargement: true,
        });
      const multiPage = animated && ((await sharp(source, { animated: true }).metadata()).pages ?? 1) > 1;
      let contentType_: string;
      if (multiPage) {
        image = image.webp({ quality: 80 });
        contentType_ = 'image/webp';
      } else if (contentType === 'image/jpeg') {
        image = image.jpeg({ quality: 80, mozjpeg: true });
        contentType_ = 'image/jpeg';
      } else {
        image = image.png();
        contentType_ = 'image/png';
      }
      const { data, info } = await image.toBuffer({ resolveWithObject: true });
      return {
        bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        contentType: contentType_,
        width: info.width,
        height: multiPage ? (info.pageHeight ?? info.height) : info.height,
      };
    } catch {
      return undefined;
    }
  },
};
