/**
 * State dict + file name (+ user overrides) → ArchSpec. The weights decide the backbone and where shifts sit; the
 * TSM name — the file's, or the run folder's when the file has none (naming.ts) — supplies what weights cannot say
 * (segments, shift fold). Disagreements are reported, never ignored.
 */
import { TsmError } from '../errors.js';
import { detectModality, refuseNonLocalWithTemporalPool } from './features.js';
import { looksLikeMobileNetV2, readMobileNetV2 } from './mobilenetv2.js';
import { findTsmName, type NamedConfig, type TsmFileName } from './naming.js';
import { expectedBlockresShift, looksLikeResNet, readResNet } from './resnet.js';
import type { ArchSpec, Backbone, HeadSpec, ResNetBackbone, ShiftPlace, ShiftSpec } from '../model/spec.js';
import { shapeOf, type StateDict } from './tensors.js';

export interface ArchOverrides {
  arch?: string;
  segments?: number;
  shiftDiv?: number;
  shiftPlace?: ShiftPlace;
  numClasses?: number;
  size?: number;
  /** export a streaming model: one frame per call, shift buffers as extra inputs/outputs */
  online?: boolean;
}

export interface ArchDetection {
  readonly spec: ArchSpec;
  /** the TSM name's config (the file's, or the run folder's: `named.from`) */
  readonly fileName?: TsmFileName;
  readonly named?: NamedConfig;
  /** things that disagree or were guessed; printed by convert/inspect */
  readonly warnings: readonly string[];
}

const KNOWN_FAMILIES = ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'mobilenetv2'];
const HEAD_CANDIDATES = ['new_fc', 'base_model.classifier', 'base_model.classifier.1', 'base_model.fc', 'fc', 'classifier', 'classifier.1'];

function findHead(sd: StateDict, featureChannels: number, numClasses?: number): HeadSpec {
  for (const name of HEAD_CANDIDATES) {
    const weight = `${name}.weight`;
    if (!sd.has(weight)) continue;
    const [classes, inFeatures] = shapeOf(sd, weight);
    if (inFeatures !== featureChannels) {
      throw new TsmError('unsupported', 'E_SHAPE_MISMATCH', `head '${weight}' takes ${inFeatures} features but the backbone gives ${featureChannels}`, {
        details: { key: weight, expected: featureChannels, found: inFeatures },
      });
    }
    if (numClasses !== undefined && numClasses !== classes) {
      throw new TsmError('usage', 'E_CLASSES_MISMATCH', `--num-classes ${numClasses} but head '${weight}' has ${classes} outputs`, { details: { key: weight } });
    }
    const bias = sd.has(`${name}.bias`) ? `${name}.bias` : undefined;
    return { weight, bias, inFeatures, classes };
  }
  throw new TsmError('unsupported', 'E_NO_HEAD', `no classifier found; looked for ${HEAD_CANDIDATES.map((h) => `${h}.weight`).join(', ')}`, {
    details: { expected: HEAD_CANDIDATES },
  });
}

function backboneName(b: Backbone): string {
  return b.family === 'resnet' ? `resnet${b.depth}` : 'mobilenetv2';
}

const IMAGENET_CLASSES = 1000;

export function detectArch(sd: StateDict, options: { fileName?: string; overrides?: ArchOverrides } = {}): ArchDetection {
  const overrides = options.overrides ?? {};
  const named = options.fileName ? findTsmName(options.fileName) : undefined;
  const parsed = named?.config;
  // messages say which name spoke: the file's own, or the folder upstream saved the run in
  const said = named?.from === 'folder' ? 'folder name' : 'file name';
  const warnings: string[] = [];
  const prefix = [...sd.keys()].some((k) => k.startsWith('base_model.')) ? 'base_model.' : '';
  const { modality, inputChannels } = detectModality(sd, prefix, parsed, said);

  let backbone: Backbone;
  let layout: ShiftSpec['layout'];
  if (looksLikeResNet(sd, prefix)) {
    backbone = readResNet(sd, prefix, inputChannels);
  } else if (looksLikeMobileNetV2(sd, prefix)) {
    const reading = readMobileNetV2(sd, prefix, inputChannels);
    backbone = reading.backbone;
    layout = reading.layout === 'none' ? undefined : reading.layout;
  } else {
    const sample = [...sd.keys()].slice(0, 8).join(', ');
    throw new TsmError('unsupported', 'E_UNKNOWN_LAYOUT', `cannot place this state dict: it is neither a torchvision ResNet (conv1/bn1/layer1…) nor a MobileNetV2 (features.0.0…); first keys: ${sample}`, {
      hint: `supported: ${KNOWN_FAMILIES.join(', ')}, each as TSN or TSM`,
      details: { keys: [...sd.keys()].slice(0, 50) },
    });
  }
  const detected = backboneName(backbone);
  const wanted = overrides.arch?.toLowerCase();
  if (wanted && wanted !== detected) {
    throw new TsmError('usage', 'E_ARCH_CONFLICT', `--arch ${overrides.arch} but the weights are a ${detected}`, { details: { expected: wanted, found: detected } });
  }
  if (parsed && parsed.arch !== detected) warnings.push(`${said} says ${parsed.arch} but the weights are a ${detected}; using ${detected}`);

  // Where the weights put shifts.
  let place: ShiftPlace = 'none';
  const shiftedBlocks: string[] = [];
  if (backbone.family === 'resnet') {
    const resnet = backbone;
    const modes = new Set(resnet.blocks.map((b) => b.shift).filter((s) => s !== 'none'));
    if (modes.size > 1) throw new TsmError('unsupported', 'E_UNKNOWN_LAYOUT', 'ResNet mixes block and blockres shift wrappers');
    place = modes.has('block') ? 'block' : modes.has('residual') ? 'blockres' : 'none';
    resnet.blocks.forEach((b, i) => {
      if (b.shift !== 'none') shiftedBlocks.push(b.name);
      if (place === 'blockres' && (b.shift !== 'none') !== expectedBlockresShift(resnet, indexInStage(resnet, i))) {
        warnings.push(`block ${b.name} is ${b.shift === 'none' ? 'not ' : ''}shifted, unlike TSM's blockres rule; following the weights`);
      }
    });
  } else {
    for (const b of backbone.blocks) if (b.shift) shiftedBlocks.push(b.name);
    place = shiftedBlocks.length ? 'blockres' : 'none';
  }

  if (overrides.shiftPlace && overrides.shiftPlace !== place) {
    throw new TsmError('usage', 'E_ARCH_CONFLICT', `--shift-place ${overrides.shiftPlace} but the weights have ${place === 'none' ? 'no shift wrappers' : `'${place}' shift wrappers`}`, {
      details: { expected: overrides.shiftPlace, found: place },
    });
  }
  if (parsed) {
    const namePlace = parsed.shiftPlace ?? 'none';
    if (namePlace !== place) warnings.push(`${said} says shift place '${namePlace}' but the weights show '${place}'; following the weights`);
  }

  if (parsed && overrides.segments !== undefined && overrides.segments !== parsed.segments) {
    warnings.push(`${said} says segment${parsed.segments} (trained on ${parsed.segments} segments) but --segments ${overrides.segments}; building for ${overrides.segments}, where its accuracy was not measured`);
  }
  if (parsed?.shiftDiv !== undefined && overrides.shiftDiv !== undefined && overrides.shiftDiv !== parsed.shiftDiv) {
    warnings.push(`${said} says shift${parsed.shiftDiv} (1/${parsed.shiftDiv} of the channels shifted in training) but --shift-div ${overrides.shiftDiv}; shifting 1/${overrides.shiftDiv}, which the weights were not trained for`);
  }
  const segments = overrides.segments ?? parsed?.segments ?? 8;
  if (!overrides.segments && !parsed && !overrides.online && !(prefix === '' && place === 'none')) warnings.push('segments not given and not in the file name (nor its folder\'s); assuming 8 (pass --segments)');
  const div = overrides.shiftDiv ?? parsed?.shiftDiv ?? 8;
  if (!overrides.shiftDiv && !parsed?.shiftDiv && shiftedBlocks.length) warnings.push('shift fold not given and not in the file name (nor its folder\'s); assuming shift_div 8 (pass --shift-div)');
  if (!Number.isInteger(segments) || segments < 1) throw new TsmError('usage', 'E_BAD_FLAG', `segments must be a positive integer, got ${segments}`);
  const temporalPool = backbone.family === 'resnet' && backbone.temporalPool;
  const nonLocal = backbone.family === 'resnet' && backbone.blocks.some((b) => b.nonLocal);
  refuseNonLocalWithTemporalPool(nonLocal, temporalPool);
  if (parsed && parsed.nonLocal !== nonLocal) {
    warnings.push(`${said} ${parsed.nonLocal ? 'says' : 'does not say'} _nl but the weights ${nonLocal ? 'have' : 'have no'} non-local blocks (….nl.*); following the weights`);
  }
  if (parsed && parsed.temporalPool !== temporalPool) {
    warnings.push(`${said} ${parsed.temporalPool ? 'says' : 'does not say'} _tpool but the weights ${temporalPool ? 'have' : 'have no'} temporal pooling (layer2.net.*); following the weights`);
  }
  if (temporalPool && segments % 2 !== 0) {
    throw new TsmError('usage', 'E_TPOOL_SEGMENTS', `temporal pooling halves the segments, so they must be even; got ${segments}`, { hint: 'pass an even --segments (a TSM file or run folder name says the trained value)', details: { segments } });
  }
  if (!Number.isInteger(div) || div < 1) throw new TsmError('usage', 'E_BAD_FLAG', `shift div must be a positive integer, got ${div}`);

  if (overrides.online) {
    if (modality !== 'RGB') throw new TsmError('unsupported', 'E_ONLINE_ARCH', `--online builds RGB models (the online demo's); this checkpoint is ${modality}`);
    if (backbone.family !== 'mobilenetv2') {
      throw new TsmError('unsupported', 'E_ONLINE_ARCH', `--online supports MobileNetV2 checkpoints (the online demo's family); this is a ${detected}`);
    }
    if (place === 'none') {
      // The online demo's bare state dict has no wrappers: its shifts sit where the official layout puts them.
      backbone = { ...backbone, blocks: backbone.blocks.map((b) => ({ ...b, shift: b.residual && b.convs.length === 3 })) };
      for (const b of backbone.blocks) if (b.shift) shiftedBlocks.push(b.name);
      place = 'blockres';
      layout = 'official';
      warnings.push('no shift wrappers in the weights: shifting the 10 residual blocks as the online demo does');
    }
  }
  const head = findHead(sd, backbone.featureChannels, overrides.numClasses);
  const image = !overrides.online && !parsed && overrides.segments === undefined && prefix === '' && place === 'none' && head.weight !== 'new_fc.weight';
  const kind = overrides.online ? 'online' : place !== 'none' ? 'tsm' : image ? 'image' : 'tsn';
  if (kind === 'image' && backbone.family === 'mobilenetv2' && head.classes !== IMAGENET_CLASSES) {
    // The online demo saves a bare MobileNetV2 state dict: nothing in it says "TSM" or "streaming".
    warnings.push(`a bare MobileNetV2 state dict with ${head.classes} classes, read as a one-frame image classifier; if it is a TSM online (streaming) model like the online demo's, \`tsm convert --online\` builds the streaming model`);
  }
  const spec: ArchSpec = {
    name: kind === 'image' ? detected : kind === 'online' ? `TSM-${detected}-online` : `${kind.toUpperCase()}-${detected}`,
    kind,
    backbone,
    segments: kind === 'image' || kind === 'online' ? 1 : segments,
    shift: { div, place, layout, shiftedBlocks },
    head,
    consensus: 'avg',
    inputSize: overrides.size ?? 224,
    modality,
    inputChannels,
  };
  return { spec, fileName: parsed, named, warnings };
}

function indexInStage(backbone: ResNetBackbone, flatIndex: number): number {
  let i = flatIndex;
  for (const n of backbone.stageBlocks) {
    if (i < n) return i;
    i -= n;
  }
  return i;
}
