// The browser thumbnailer's geometry (the drawing itself runs in Chromium:
// bench/media.bench.ts): scale fits inside the box, crop fills it from the
// centre, neither enlarges.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planThumbnail } from '../../../src/platform/web/thumbnail-plan.ts';

const spec = (width: number, height: number, method: 'scale' | 'crop') => ({
  width,
  height,
  method,
  animated: false,
});

describe('planning a canvas thumbnail', () => {
  test('scale keeps the aspect inside the box', () => {
    assert.deepEqual(planThumbnail(4000, 3000, spec(800, 600, 'scale')), {
      sx: 0,
      sy: 0,
      sw: 4000,
      sh: 3000,
      width: 800,
      height: 600,
    });
    const tall = planThumbnail(1000, 4000, spec(320, 240, 'scale'));
    assert.deepEqual([tall.width, tall.height], [60, 240]);
  });

  test('crop fills the box exactly, cutting the overflow from the centre', () => {
    assert.deepEqual(planThumbnail(4000, 3000, spec(96, 96, 'crop')), {
      sx: 500,
      sy: 0,
      sw: 3000,
      sh: 3000,
      width: 96,
      height: 96,
    });
  });

  test('neither enlarges a smaller image', () => {
    const small = planThumbnail(50, 40, spec(320, 240, 'scale'));
    assert.deepEqual([small.width, small.height], [50, 40]);
    const cropped = planThumbnail(50, 40, spec(96, 96, 'crop'));
    assert.deepEqual([cropped.width, cropped.height, cropped.sw, cropped.sh], [50, 40, 50, 40]);
  });
});
