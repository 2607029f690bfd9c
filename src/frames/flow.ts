/**
 * Optical-flow clips in TSM's layouts (docs/upstream-tsm-family.md §3, §5): per segment start, `newLength` consecutive
 * (x, y) flow images as grey planes x1 y1 … x5 y5, normalised (v/255 − 0.5)/0.226; a mirrored crop also inverts the x
 * images (255 − v), as GroupOverSample does for every even-indexed 'L' image.
 *
 * A flow frame is kept as an interleaved 3-channel image with x in red and y in green: Pillow resizes each band on
 * its own with the same coefficients, so one resize of the pair is bit-identical to resizing x and y apart.
 */
import { join } from 'node:path';
import { type FlowLayoutConfig, formatTemplate, templateFields } from '../data/dataset.js';
import { TsmError } from '../errors.js';
import { FLOW_MEAN, FLOW_STD } from '../model/preprocessing.js';
import { type DecodedPixels, decodeFrame } from './decode.js';
import {
  type CropBox,
  type DecodedFrame,
  type FrameRequest,
  scaleDecodedFrame,
  torchNormalizeTable,
} from './transforms.js';

/**
 * `pair`: `flow_{}_{:05d}.jpg` (axis, index) in the clip folder; `padded-pair`: `{:06d}-{}_{:05d}.jpg` (id, axis,
 * index) in a folder named by the zero-padded numeric id; `packed`: one image an index, x in red, y in green.
 */
export type FlowStorage = 'pair' | 'padded-pair' | 'packed';

export function flowStorage(template: string): FlowStorage {
  const fields = templateFields(template);
  if (fields === 1) return 'packed';
  if (fields === 2) return 'pair';
  if (fields === 3) return 'padded-pair';
  throw new TsmError(
    'usage',
    'E_BAD_FLAG',
    `flow template '${template}' has ${fields} field(s); expected 'flow_{}_{:05d}.jpg' (axis, index), ` +
      `'{:06d}-{}_{:05d}.jpg' (id, axis, index) or a one-field template for x/y packed in one RGB image`,
    {
      details: { flag: '--template', value: template },
    },
  );
}

/** Upstream halves the list's frame count for the padded-pair layout (Something-V1 flow counts both axes). */
export function flowFrameCount(listed: number, storage: FlowStorage): number {
  return storage === 'padded-pair' ? Math.floor(listed / 2) : listed;
}

/** Where a layout's first frame of a clip lies, for messages: e.g. `images/<id>/flow_x_00001.jpg`. */
export function flowFrameExample(layout: FlowLayoutConfig): string {
  const storage = flowStorage(layout.template);
  const args = storage === 'packed' ? [1] : storage === 'pair' ? ['x', 1] : [0, 'x', 1];
  return join(layout.framesDir, '<id>', formatTemplate(layout.template, args));
}

/** The file(s) of flow frame `index` of clip `id`: [x, y], or [packed]. */
export function flowFramePaths(root: string, layout: FlowLayoutConfig, id: string, index: number): string[] {
  const storage = flowStorage(layout.template);
  if (storage === 'packed') return [join(root, layout.framesDir, id, formatTemplate(layout.template, [index]))];
  if (storage === 'pair')
    return ['x', 'y'].map((axis) => join(root, layout.framesDir, id, formatTemplate(layout.template, [axis, index])));
  const numeric = Number.parseInt(id, 10);
  if (!Number.isFinite(numeric))
    throw new TsmError(
      'input',
      'E_FLOW_ID',
      `clip id '${id}' is not a number, which the '${layout.template}' layout needs (folders are ` +
        `named by the zero-padded id)`,
      { details: { clip: id } },
    );
  const folder = String(numeric).padStart(6, '0');
  return ['x', 'y'].map((axis) =>
    join(root, layout.framesDir, folder, formatTemplate(layout.template, [numeric, axis, index])),
  );
}

/** Pillow's RGB → L: (R·19595 + G·38470 + B·7471 + 2¹⁵) >> 16 (a grey JPEG decoded as R = G = B gives its value). */
function greyAt(p: DecodedPixels, i: number): number {
  const o = i * p.channels;
  return (p.data[o] * 19595 + p.data[o + 1] * 38470 + p.data[o + 2] * 7471 + 0x8000) >> 16;
}

/** Decodes one flow frame into x (red) and y (green) planes, interleaved, then scales it like an RGB frame. */
export async function loadFlowFrame(paths: readonly string[], request: FrameRequest): Promise<DecodedFrame> {
  const images = await Promise.all(paths.map((p) => decodeFrame(p)));
  const [first] = images;
  const { width, height } = first;
  for (const [i, im] of images.entries()) {
    if (im.width !== width || im.height !== height) {
      throw new TsmError(
        'input',
        'E_FRAME_SIZE',
        `${paths[i]} is ${im.width}×${im.height} but ${paths[0]} is ${width}×${height}`,
        { details: { file: paths[i] } },
      );
    }
  }
  const pixels = width * height;
  const pair = new Uint8Array(pixels * 3);
  if (images.length === 1) {
    // packed: x and y are the red and green bands as they are (upstream splits the RGB image)
    for (let i = 0; i < pixels; i++) {
      pair[i * 3] = first.data[i * first.channels];
      pair[i * 3 + 1] = first.data[i * first.channels + 1];
    }
  } else {
    const [x, y] = images;
    for (let i = 0; i < pixels; i++) {
      pair[i * 3] = greyAt(x, i);
      pair[i * 3 + 1] = greyAt(y, i);
    }
  }
  return scaleDecodedFrame(pair, width, height, request, 3);
}

/** (v/255 − 0.5)/0.226 for every byte value. */
const FLOW_NORMALIZED = torchNormalizeTable(FLOW_MEAN, FLOW_STD);

/**
 * Writes one crop of a flow frame as two S×S planes: x at `out[xOffset…]`, y at `out[yOffset…]`. A mirrored crop
 * inverts x (255 − v): flipping an image left-right reverses horizontal motion.
 */
export function writeNormalizedFlowCrop(
  frame: DecodedFrame,
  box: CropBox,
  out: Float32Array,
  xOffset: number,
  yOffset: number,
): void {
  const { size } = box;
  const data = frame.data;
  const step = frame.channels;
  for (let row = 0; row < size; row++) {
    let p = ((box.top - frame.offsetY + row) * frame.width + box.left - frame.offsetX) * step;
    for (let col = 0; col < size; col++, p += step) {
      const d = row * size + (box.flip ? size - 1 - col : col);
      out[xOffset + d] = FLOW_NORMALIZED[box.flip ? 255 - data[p] : data[p]];
      out[yOffset + d] = FLOW_NORMALIZED[data[p + 1]];
    }
  }
}
