import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resizeLinearLikeOpenCV } from '../../src/frames/resize-cv2.js';
import { openCVResizeKernel } from '../../src/frames/resize-cv2-kernels.js';

const kernel = openCVResizeKernel();

/** The kernel's 4-byte pixels cut to `channels` bytes each. */
const firstChannels = (pixels: Uint8Array, channels: number) =>
  Uint8Array.from(
    { length: (pixels.length / 4) * channels },
    (_, i) => pixels[Math.floor(i / channels) * 4 + (i % channels)],
  );

describe('the WebAssembly SIMD OpenCV-exact resize', () => {
  it('loads here (Node has WebAssembly SIMD)', () => {
    expect(kernel).toBeDefined();
  });

  it("gives the JavaScript resize's bytes on random sizes, channel counts and windows (property)", () => {
    const side = fc.oneof(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 500 }));
    fc.assert(
      fc.property(
        fc.record({
          w: side,
          h: side,
          dw: side,
          dh: side,
          c: fc.constantFrom(3 as const, 4 as const),
          seed: fc.nat(),
          win: fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()),
        }),
        ({ w, h, dw, dh, c, seed, win }) => {
          const src = Uint8Array.from({ length: w * h * c }, (_, i) => (Math.imul(i + seed, 2654435761) >>> 23) & 255);
          const left = win[0] % dw;
          const top = win[1] % dh;
          const window = { left, top, width: 1 + (win[2] % (dw - left)), height: 1 + (win[3] % (dh - top)) };
          const ours = kernel!.resizeWindow(src, w, h, c, dw, dh, window);
          const js = resizeLinearLikeOpenCV(src, w, h, c, dw, dh, { window });
          expect(ours.length).toBe(window.width * window.height * 4);
          expect(Buffer.compare(firstChannels(ours, c), js)).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it(
    "gives the JavaScript resize's bytes on a Jester frame scaled to short side 256, a 224² window, and an " +
      'unchanged size',
    () => {
      const src = Uint8Array.from({ length: 176 * 100 * 4 }, (_, i) => (i * 37) & 255);
      for (const [dw, dh, window] of [
        [451, 256, undefined],
        [451, 256, { left: 113, top: 16, width: 224, height: 224 }],
        [176, 100, { left: 3, top: 5, width: 101, height: 50 }],
      ] as const) {
        const ours = kernel!.resizeWindow(src, 176, 100, 4, dw, dh, window);
        const js = resizeLinearLikeOpenCV(src, 176, 100, 4, dw, dh, { window, outputChannels: 3 });
        expect(Buffer.compare(firstChannels(ours, 3), js)).toBe(0);
      }
    },
  );
});
