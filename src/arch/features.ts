/**
 * Model features of the upstream family that convert does not build yet: non-local blocks and the Flow modality. Each is recognised from the file name token and from the keys it leaves in the weights (TSM-FACTS-2
 * §1–3), so the refusal names the feature instead of a tensor it happened to miss.
 */
import { TsmError } from '../errors.js';
import type { TsmFileName } from './naming.js';
import { shapeOf, type StateDict } from './tensors.js';

export interface UnsupportedFeature {
  readonly feature: 'non-local' | 'flow';
  readonly evidence: string;
}

export function unsupportedFeatures(sd: StateDict, name: TsmFileName | undefined): UnsupportedFeature[] {
  const keys = [...sd.keys()];
  const found: UnsupportedFeature[] = [];
  const nlKey = keys.find((k) => /(^|\.)layer[23]\.\d+\.(nl|block)\./.test(k));
  if (name?.nonLocal || nlKey) found.push({ feature: 'non-local', evidence: name?.nonLocal ? "the file name's _nl token" : `key '${nlKey}'` });
  // temporal pooling (layer2.net.*, _tpool) is built: src/onnx/tsn.ts temporalPool
  const conv1 = keys.find((k) => /(^|\.)conv1\.weight$/.test(k) && !/layer/.test(k));
  const inChannels = conv1 ? shapeOf(sd, conv1)[1] : undefined;
  if ((name && name.modality !== 'RGB') || (inChannels !== undefined && inChannels !== 3)) {
    found.push({ feature: 'flow', evidence: name && name.modality !== 'RGB' ? `the file name's _${name.modality}_ modality` : `conv1 takes ${inChannels} input channels` });
  }
  return found;
}

export function refuseUnsupportedFeatures(sd: StateDict, name: TsmFileName | undefined): void {
  const found = unsupportedFeatures(sd, name);
  if (!found.length) return;
  const what = found.map((f) => `${f.feature} (${f.evidence})`).join(', ');
  throw new TsmError('unsupported', 'E_UNSUPPORTED_FEATURE', `this checkpoint uses ${what}, which tsm convert does not build yet`, {
    hint: 'supported: RGB TSN/TSM ResNet-18/34/50/101/152 (with or without temporal pooling) and MobileNetV2 with blockres or block shifts, and online MobileNetV2',
    details: { features: found.map((f) => f.feature) },
  });
}
