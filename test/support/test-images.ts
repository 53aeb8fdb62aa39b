// Images for the media tests, made with sharp (a dependency of the Node
// peer's thumbnailer): a gradient, so a wrong crop or scale shows.
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';

/** A `width`×`height` JPEG (or PNG) of a colour gradient. */
export async function gradientImage(
  width: number,
  height: number,
  format: 'jpeg' | 'png' = 'jpeg',
): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = Math.floor((x * 255) / width);
      raw[i + 1] = Math.floor((y * 255) / height);
      raw[i + 2] = (x ^ y) & 0xff;
    }
  }
  const image = sharp(raw, { raw: { width, height, channels: 3 } });
  const out = await (format === 'jpeg' ? image.jpeg({ quality: 85 }) : image.png()).toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Width, height and format of an encoded image. */
export async function imageSize(
  bytes: Uint8Array,
): Promise<{ width: number; height: number; format: string }> {
  const meta = await sharp(bytes).metadata();
  return { width: meta.width ?? 0, height: meta.height ?? 0, format: meta.format ?? '' };
}

/**
 * A `width`×`height` PNG of random pixels stored uncompressed: about
 * width × height × 3 bytes, for tests that need a big image (a 1300×1300 one
 * is 5 MB).
 */
export async function noiseImage(width: number, height: number): Promise<Uint8Array> {
  const raw = randomBytes(width * height * 3);
  const out = await sharp(raw, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
