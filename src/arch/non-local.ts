/**
 * Non-local TSM (TSM-FACTS-2 §1): `make_non_local` wraps ResNet-50's layer2.{0,2} and layer3.{0,2,4} in NL3DWrapper,
 * so a wrapped block's weights move under `<block>.block.` and the non-local block's under `<block>.nl.`:
 * `g.0`, `theta`, `phi.0` (1×1×1 Conv3d C→C/2 with bias; `.0` because a max-pool follows), `W.0` (C/2→C) and `W.1`
 * (BatchNorm3d). Only that layout is described, so only that layout is built; anything else is refused by name.
 */
import { TsmError } from '../errors.js';
import type { ConvBn, NonLocalSpec } from '../model/spec.js';
import { expectBatchNorm, expectShape, shapeOf, type StateDict } from './tensors.js';

/** Where upstream puts the blocks: stage index (1-based) → block indices. */
export const NON_LOCAL_PLACES: Readonly<Record<number, readonly number[]>> = Object.freeze({ 2: [0, 2], 3: [0, 2, 4] });
export const NON_LOCAL_DEPTH = 50;

const unsupported = (message: string, details: Record<string, unknown>) =>
  new TsmError('unsupported', 'E_UNSUPPORTED_FEATURE', message, {
    hint: 'supported non-local layout: ResNet-50 with blocks after layer2.{0,2} and layer3.{0,2,4} (TSM-FACTS-2 §1), embedded Gaussian, sub-sampled',
    details: { features: ['non-local'], ...details },
  });

/** Does the state dict wrap block `name` (e.g. `base_model.layer2.0`) for a non-local block? */
export function hasNonLocal(sd: StateDict, name: string): boolean {
  for (const k of sd.keys()) if (k.startsWith(`${name}.nl.`) || k.startsWith(`${name}.block.`)) return true;
  return false;
}

function pointwise(sd: StateDict, prefix: string, inChannels: number, outChannels: number, bn?: string): ConvBn {
  const weight = `${prefix}.weight`;
  expectShape(sd, weight, [outChannels, inChannels, 1, 1, 1]);
  expectShape(sd, `${prefix}.bias`, [outChannels]);
  if (bn) expectBatchNorm(sd, bn, outChannels);
  return { weight, bias: `${prefix}.bias`, bn, inChannels, outChannels, kernel: 1, stride: 1, padding: 0, groups: 1 };
}

/** Refuses non-local keys that are not TSM's NL3DWrapper layout, before the block's own convs are looked for. */
export function expectNonLocalWrapper(sd: StateDict, name: string): void {
  const keys = [...sd.keys()].filter((k) => k.startsWith(`${name}.`));
  const wrapped = keys.some((k) => k.startsWith(`${name}.block.`)) && !keys.some((k) => !k.startsWith(`${name}.block.`) && !k.startsWith(`${name}.nl.`));
  if (!wrapped || !sd.has(`${name}.nl.theta.weight`)) {
    const odd = keys.find((k) => k.startsWith(`${name}.nl.`)) ?? keys[0];
    throw unsupported(`non-local (key '${odd}') in a layout TSM's NL3DWrapper does not make: expected ${name}.block.* and ${name}.nl.{g.0,theta,phi.0,W.0,W.1}.*`, { block: name, keys: keys.slice(0, 8) });
  }
}

/** Reads the non-local block of wrapped block `name`, whose output has `channels` channels. */
export function readNonLocal(sd: StateDict, name: string, channels: number): NonLocalSpec {
  const nl = `${name}.nl`;
  if (sd.has(`${nl}.g.weight`) || sd.has(`${nl}.phi.weight`)) {
    throw unsupported(`non-local block '${nl}' is not sub-sampled (g and phi without a max-pool); TSM's blocks always are`, { block: nl });
  }
  const inter = shapeOf(sd, `${nl}.theta.weight`)[0];
  if (inter !== Math.max(1, Math.floor(channels / 2))) {
    throw unsupported(`non-local block '${nl}' has ${inter} inner channels for ${channels}; TSM's use C/2 = ${Math.floor(channels / 2)}`, { block: nl, expected: channels >> 1, found: inter });
  }
  return {
    name: nl,
    channels,
    interChannels: inter,
    theta: pointwise(sd, `${nl}.theta`, channels, inter),
    phi: pointwise(sd, `${nl}.phi.0`, channels, inter),
    g: pointwise(sd, `${nl}.g.0`, channels, inter),
    w: pointwise(sd, `${nl}.W.0`, inter, channels, `${nl}.W.1`),
    subSample: true,
  };
}

/** Refuses non-local blocks anywhere but upstream's five places, or on another depth than ResNet-50. */
export function checkNonLocalPlaces(depth: number, placed: ReadonlyArray<{ stage: number; index: number; name: string }>): void {
  if (!placed.length) return;
  const where = placed.map((p) => p.name.replace(/^base_model\./, '')).join(', ');
  if (depth !== NON_LOCAL_DEPTH) throw unsupported(`non-local blocks on a ResNet-${depth} (${where}); TSM builds them for ResNet-50 only`, { depth });
  const expected = Object.entries(NON_LOCAL_PLACES).flatMap(([stage, indices]) => indices.map((index) => `layer${stage}.${index}`));
  const found = placed.map((p) => `layer${p.stage}.${p.index}`);
  if (expected.length !== found.length || expected.some((e, i) => e !== found[i])) {
    throw unsupported(`non-local blocks at ${found.join(', ')}; TSM places them at ${expected.join(', ')}`, { expected, found });
  }
}
