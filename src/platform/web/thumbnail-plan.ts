// The geometry of a browser thumbnail (canvas-thumbnailer.ts), apart from
// the drawing so that it is tested in Node without a canvas.
import type { ThumbnailSpec } from '../../core/public.ts';

export interface ThumbnailPlan {
  /** The part of the source drawn. */
  readonly sx: number;
  readonly sy: number;
  readonly sw: number;
  readonly sh: number;
  /** The thumbnail's size. */
  readonly width: number;
  readonly height: number;
}

/**
 * `scale`: the whole image inside width × height, aspect kept; `crop`: the
 * centred part of the aspect of width × height, scaled to it. Neither
 * enlarges: a source smaller than the box on both sides stays whole at its
 * size, as sharp's `withoutEnlargement` leaves it in Node.
 */
export function planThumbnail(srcWidth: number, srcHeight: number, spec: ThumbnailSpec): ThumbnailPlan {
  if (spec.method === 'scale') {
    const ratio = Math.min(1, spec.width / srcWidth, spec.height / srcHeight);
    return {
      sx: 0,
      sy: 0,
      sw: srcWidth,
      sh: srcHeight,
      width: Math.max(1, Math.round(srcWidth * ratio)),
      height: Math.max(1, Math.round(srcHeight * ratio)),
    };
  }
  const ratio = Math.min(1, Math.max(spec.width / srcWidth, spec.height / srcHeight));
  const width = Math.max(1, Math.min(spec.width, Math.round(srcWidth * ratio)));
  const height = Math.max(1, Math.min(spec.height, Math.round(srcHeight * ratio)));
  const sw = Math.round(width / ratio);
  const sh = Math.round(height / ratio);
  return { sx: Math.floor((srcWidth - sw) / 2), sy: Math.floor((srcHeight - sh) / 2), sw, sh, width, height };
}
