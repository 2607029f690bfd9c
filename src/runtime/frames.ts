/** A clip input (frames in memory, JPEG bytes, or in Node a path) as the frame feed the model loops read. */
import { TsmError } from '../errors.js';
import { type DecodedPixels, scaleDecodedSource } from '../frames/pixels.js';
import type { FrameFeed } from '../stream/loop.js';
import type { ClipInput, FrameInput } from './types.js';

/** How an environment turns encoded bytes into pixels, and (Node) a path into a clip. */
export interface FrameSupply {
  readonly decodeImage: (bytes: Uint8Array) => Promise<DecodedPixels>;
  readonly openPath?: (path: string) => Promise<FrameFeed>;
}

const isRaw = (f: FrameInput): f is Exclude<FrameInput, Uint8Array | ArrayBuffer> =>
  !(f instanceof Uint8Array) && !(f instanceof ArrayBuffer) && typeof f === 'object' && f !== null && 'data' in f;

/** One frame's pixels: decoded as given (RGB or RGBA by its length), or decoded from its bytes. */
export async function pixelsOf(env: FrameSupply, frame: FrameInput, index: number): Promise<DecodedPixels> {
  if (!isRaw(frame)) return env.decodeImage(frame instanceof ArrayBuffer ? new Uint8Array(frame) : frame);
  const { data, width, height } = frame;
  const channels = frame.channels ?? data.length / (width * height);
  if ((channels !== 3 && channels !== 4) || data.length !== channels * width * height) {
    throw new TsmError(
      'input',
      'E_FRAME_SHAPE',
      `frame ${index}: ${data.length} bytes for ${width}×${height} pixels; expected RGB (${3 * width * height}) or ` +
        `RGBA (${4 * width * height})`,
      { details: { frame: index, bytes: data.length, width, height } },
    );
  }
  return { data, width, height, channels };
}

export async function feedOf(env: FrameSupply, input: ClipInput): Promise<FrameFeed> {
  if (typeof input === 'string') {
    if (!env.openPath)
      throw new TsmError('usage', 'E_RUNTIME_INPUT', `${input}: a path is a clip in Node only; pass decoded frames`, {
        details: { input },
      });
    return env.openPath(input);
  }
  if (!Array.isArray(input) || !input.length)
    throw new TsmError('input', 'E_NO_FRAMES', 'the clip has no frames (expected an array of frames or JPEG bytes)');
  const frames = input as readonly FrameInput[];
  return {
    count: frames.length,
    frame: async (i, request) => {
      const p = await pixelsOf(env, frames[i], i);
      return scaleDecodedSource(p.data, p.width, p.height, request, p.channels);
    },
  };
}
