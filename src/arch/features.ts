/**
 * Model features of the upstream family beyond the RGB backbone: the input modality (RGB, or Flow with 5 stacked
 * x/y pairs = 10 channels, docs/upstream-tsm-family.md §3), read from conv1's shape and cross-checked with the TSM
 * name's token (the file's or its folder's), and
 * the combinations tsm refuses by name (RGBDiff, non-local with temporal pooling).
 */
import { TsmError } from '../errors.js';
import { FLOW_CHANNELS, FLOW_NEW_LENGTH, type Modality } from '../model/spec.js';
import type { TsmFileName } from './naming.js';
import { type StateDict, shapeOf } from './tensors.js';

export interface InputModality {
  readonly modality: Modality;
  readonly inputChannels: number;
}

const SUPPORTED =
  'supported: RGB and Flow (10-channel conv1) TSN/TSM ResNet-18/34/50/101/152 (with temporal pooling or ResNet-50 ' +
  'non-local blocks) and MobileNetV2 with blockres or block shifts, and online MobileNetV2';

function unsupported(feature: string, message: string, details: Record<string, unknown> = {}): TsmError {
  return new TsmError('unsupported', 'E_UNSUPPORTED_FEATURE', message, {
    hint: SUPPORTED,
    details: { features: [feature], ...details },
  });
}

/**
 * `inputConv`: the backbone's first convolution (canonical key); `origin`: where the name was read, as messages say
 * it ('file name', 'folder name').
 */
export function detectModality(
  sd: StateDict,
  inputConv: string,
  name: TsmFileName | undefined,
  origin = 'file name',
): InputModality {
  if (name?.modality === 'RGBDiff')
    throw unsupported(
      'rgbdiff',
      `this checkpoint uses the RGBDiff modality (the ${origin}'s _RGBDiff_ token), which tsm convert does not build`,
      { modality: 'RGBDiff' },
    );
  const key = sd.modelName(inputConv);
  const inputChannels = shapeOf(sd, inputConv)[1];
  const fromWeights: Modality | undefined =
    inputChannels === 3 ? 'RGB' : inputChannels === FLOW_CHANNELS ? 'Flow' : undefined;
  if (!fromWeights) {
    throw unsupported(
      'input-channels',
      `'${key}' takes ${inputChannels} input channels; tsm builds 3 (RGB) or ${FLOW_CHANNELS} (Flow: ` +
        `${FLOW_NEW_LENGTH} stacked x/y pairs)`,
      { key, found: inputChannels, expected: [3, FLOW_CHANNELS] },
    );
  }
  if (name && name.modality !== fromWeights) {
    throw new TsmError(
      'unsupported',
      'E_MODALITY_CONFLICT',
      `the ${origin} says _${name.modality}_ but '${key}' takes ${inputChannels} input channels (${fromWeights}); ` +
        `rename the ${origin.split(' ')[0]} or check it is the one you meant`,
      {
        details: { key, nameModality: name.modality, found: inputChannels },
      },
    );
  }
  return { modality: fromWeights, inputChannels };
}

/** Non-local blocks keep T after a temporal pool halved it upstream, so the pair is broken there: refused. */
export function refuseNonLocalWithTemporalPool(nonLocal: boolean, temporalPool: boolean): void {
  if (nonLocal && temporalPool) {
    throw unsupported(
      'non-local+temporal-pool',
      'this checkpoint has non-local blocks and temporal pooling; upstream runs its non-local blocks on T segments ' +
        'after pooling halved them (docs/upstream-tsm-family.md §2), so no consistent model exists to export',
      { combination: ['non-local', 'temporal-pool'] },
    );
  }
}
