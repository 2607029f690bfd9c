/**
 * Weights + TSM name (+ user overrides) → ArchSpec. The key layout (layouts/) renames the file's keys; the
 * architecture modules (the table below) say which backbone they are and where their shifts sit; the TSM name — the
 * file's, or the run folder's when the file has none (naming.ts) — supplies what weights cannot say (segments, shift
 * fold). Disagreements are reported, never ignored.
 */
import { TsmError } from '../errors.js';
import type { MmActionHeadKind, MmActionTestProtocol } from '../model/mmaction2-protocol.js';
import type { ArchSpec, ArchSpecSummary, Backbone, Modality, ShiftPlace } from '../model/spec.js';
import type { MetadataValue } from '../pth/checkpoint.js';
import type { Tensor } from '../pth/tensor.js';
import { findHead } from './blocks/head.js';
import { detectModality } from './features.js';
import { canonicalize, KEY_LAYOUTS } from './layouts/index.js';
import { readMmActionContext } from './mmaction2-context.js';
import { MOBILENET_V2 } from './mobilenetv2.js';
import type { ArchitectureModule, BackboneReading } from './module.js';
import { findTsmName, type NamedConfig, type TsmFileName } from './naming.js';
import { RESNET } from './resnet.js';
import type { StateDict } from './tensors.js';

/** The architecture modules tsm builds; the first whose weights match reads them. */
export const ARCHITECTURES: readonly ArchitectureModule[] = Object.freeze([
  RESNET as ArchitectureModule,
  MOBILENET_V2 as ArchitectureModule,
]);

/** The module of a backbone. */
export function moduleOf<B extends Backbone>(backbone: B): ArchitectureModule<B> {
  const found = ARCHITECTURES.find((m) => m.family === backbone.family);
  if (!found) throw new TsmError('bug', 'E_NO_MODULE', `no architecture module for the '${backbone.family}' family`);
  return found as unknown as ArchitectureModule<B>;
}

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
  /** the weights under the canonical names the spec uses, and how the file named them */
  readonly stateDict: StateDict;
  /** the TSM name's config (the file's, or the run folder's: `named.from`) */
  readonly fileName?: TsmFileName;
  readonly named?: NamedConfig;
  /** things that disagree or were guessed; printed by convert/inspect */
  readonly warnings: readonly string[];
  /** MMAction2 files: where the settings came from, and the test protocol the config describes */
  readonly mmaction2?: { readonly said: string; readonly protocol: MmActionTestProtocol };
}

const IMAGENET_CLASSES = 1000;

function unknownBackbone(sd: StateDict): TsmError {
  const sample = [...sd.keys()].slice(0, 8).map((k) => sd.modelName(k));
  return new TsmError(
    'unsupported',
    'E_UNKNOWN_LAYOUT',
    `cannot place this state dict (read in the ${sd.facts.layout} key layout): it is none of ` +
      `${ARCHITECTURES.map((m) => m.describes).join(', ')}; first keys: ${sample.join(', ')}`,
    {
      hint:
        `supported: ${ARCHITECTURES.flatMap((m) => m.known).join(', ')}, each as TSN or TSM; key layouts: ` +
        `${KEY_LAYOUTS.map((l) => `${l.name} (${l.describes})`).join('; ')}`,
      details: { layout: sd.facts.layout, keys: [...sd.keys()].slice(0, 50).map((k) => sd.modelName(k)) },
    },
  );
}

/** The TSM name a checkpoint carries, and how messages call where it was read ('file name', 'folder name'). */
interface NameContext {
  readonly config?: TsmFileName;
  readonly said: string;
  /** only segments and the shift fold are known (an MMAction2 file name without a config) */
  readonly partial?: boolean;
}

/** The backbone the weights hold, read by the first module that recognises it, checked against --arch. */
function readWeights(sd: StateDict, name: NameContext, overrides: ArchOverrides) {
  const module = ARCHITECTURES.find((m) => m.detect(sd));
  if (!module) throw unknownBackbone(sd);
  const { modality, inputChannels } = detectModality(sd, module.inputConv, name.config, name.said);
  const reading = module.read(sd, inputChannels);
  const detected = module.name(reading.backbone);
  const wanted = overrides.arch?.toLowerCase();
  if (wanted && wanted !== detected) {
    throw new TsmError('usage', 'E_ARCH_CONFLICT', `--arch ${overrides.arch} but the weights are a ${detected}`, {
      details: { expected: wanted, found: detected },
    });
  }
  if (overrides.shiftPlace && overrides.shiftPlace !== reading.place) {
    const found = reading.place === 'none' ? 'no shift wrappers' : `'${reading.place}' shift wrappers`;
    throw new TsmError(
      'usage',
      'E_ARCH_CONFLICT',
      `--shift-place ${overrides.shiftPlace} but the weights have ${found}`,
      {
        details: { expected: overrides.shiftPlace, found: reading.place },
      },
    );
  }
  return { module, modality, inputChannels, reading, detected };
}

/** What the name says against what the weights show: warnings, the weights win. */
function crossCheckName(
  name: NameContext,
  detected: string,
  reading: BackboneReading,
  features: Partial<ArchSpecSummary>,
): string[] {
  const { config: parsed, said } = name;
  if (!parsed || name.partial) return [];
  const warnings: string[] = [];
  if (parsed.arch !== detected)
    warnings.push(`${said} says ${parsed.arch} but the weights are a ${detected}; using ${detected}`);
  const namePlace = parsed.shiftPlace ?? 'none';
  if (namePlace !== reading.place) {
    warnings.push(
      `${said} says shift place '${namePlace}' but the weights show '${reading.place}'; following the weights`,
    );
  }
  const nonLocal = features.nonLocal === true;
  const temporalPool = features.temporalPool === true;
  if (parsed.nonLocal !== nonLocal) {
    warnings.push(
      `${said} ${parsed.nonLocal ? 'says' : 'does not say'} _nl but the weights ${nonLocal ? 'have' : 'have no'} ` +
        `non-local blocks (….nl.*); following the weights`,
    );
  }
  if (parsed.temporalPool !== temporalPool) {
    warnings.push(
      `${said} ${parsed.temporalPool ? 'says' : 'does not say'} _tpool but the weights ` +
        `${temporalPool ? 'have' : 'have no'} temporal pooling (layer2.net.*); following the weights`,
    );
  }
  return warnings;
}

/** Segments and shift fold: the flags, else the name, else upstream's 8, with what was guessed said. */
function temporalSettings(
  name: NameContext,
  overrides: ArchOverrides,
  reading: BackboneReading,
  bareBackbone: boolean,
  temporalPool: boolean,
) {
  const { config: parsed, said } = name;
  const warnings: string[] = [];
  if (parsed && overrides.segments !== undefined && overrides.segments !== parsed.segments) {
    warnings.push(
      `${said} says segment${parsed.segments} (trained on ${parsed.segments} segments) but --segments ` +
        `${overrides.segments}; building for ${overrides.segments}, where its accuracy was not measured`,
    );
  }
  if (parsed?.shiftDiv !== undefined && overrides.shiftDiv !== undefined && overrides.shiftDiv !== parsed.shiftDiv) {
    warnings.push(
      `${said} says shift${parsed.shiftDiv} (1/${parsed.shiftDiv} of the channels shifted in training) but ` +
        `--shift-div ${overrides.shiftDiv}; shifting 1/${overrides.shiftDiv}, which the weights were not trained for`,
    );
  }
  const segments = overrides.segments ?? parsed?.segments ?? 8;
  if (!overrides.segments && !parsed && !overrides.online && !bareBackbone)
    warnings.push("segments not given and not in the file name (nor its folder's); assuming 8 (pass --segments)");
  const div = overrides.shiftDiv ?? parsed?.shiftDiv ?? 8;
  if (!overrides.shiftDiv && !parsed?.shiftDiv && reading.shiftedBlocks.length)
    warnings.push(
      "shift fold not given and not in the file name (nor its folder's); assuming shift_div 8 (pass --shift-div)",
    );
  if (!Number.isInteger(segments) || segments < 1)
    throw new TsmError('usage', 'E_BAD_FLAG', `segments must be a positive integer, got ${segments}`);
  if (temporalPool && segments % 2 !== 0) {
    throw new TsmError(
      'usage',
      'E_TPOOL_SEGMENTS',
      `temporal pooling halves the segments, so they must be even; got ${segments}`,
      {
        hint: 'pass an even --segments (a TSM file or run folder name says the trained value)',
        details: { segments },
      },
    );
  }
  if (!Number.isInteger(div) || div < 1)
    throw new TsmError('usage', 'E_BAD_FLAG', `shift div must be a positive integer, got ${div}`);
  return { segments, div, warnings };
}

/** The streaming form of the backbone (`--online`): RGB, and a family that has one. */
function onlineReading(
  sd: StateDict,
  module: ArchitectureModule,
  reading: BackboneReading,
  modality: Modality,
  detected: string,
): BackboneReading {
  if (modality !== 'RGB') {
    throw new TsmError(
      'unsupported',
      'E_ONLINE_ARCH',
      `--online builds RGB models (the online demo's); this checkpoint is ${modality}`,
    );
  }
  if (!module.online) {
    const families = ARCHITECTURES.filter((m) => m.online).map((m) => m.known.join('/'));
    throw new TsmError(
      'unsupported',
      'E_ONLINE_ARCH',
      `--online supports ${families.join(', ')} checkpoints (the online demo's family); this is a ${detected}`,
    );
  }
  return module.online(reading, sd);
}

/** `tensors`: the checkpoint's weights as the file names them (Checkpoint.stateDict). */
export function detectArch(
  tensors: ReadonlyMap<string, Tensor>,
  options: { fileName?: string; overrides?: ArchOverrides; meta?: Record<string, MetadataValue> } = {},
): ArchDetection {
  const overrides = options.overrides ?? {};
  const canonical = canonicalize(tensors);
  const mma =
    canonical.facts.layout === 'mmaction2' ? readMmActionContext(options.meta, options.fileName ?? '') : undefined;
  const sd = mma?.nonLocal ? canonical.withFacts({ nonLocal: mma.nonLocal }) : canonical;
  const named = options.fileName && !mma ? findTsmName(options.fileName) : undefined;
  // messages say which name spoke: the file's own, the folder upstream saved the run in, or an MMAction2 config
  const name: NameContext = mma
    ? { config: mma.name, said: mma.said, partial: mma.partial }
    : { config: named?.config, said: named?.from === 'folder' ? 'folder name' : 'file name' };
  const { module, modality, inputChannels, reading: weights, detected } = readWeights(sd, name, overrides);
  const features = module.summary(weights.backbone);
  const bareBackbone = !sd.facts.wrapped && weights.place === 'none';
  const settings = temporalSettings(name, overrides, weights, bareBackbone, features.temporalPool === true);
  const warnings = [
    ...(mma?.warnings ?? []),
    ...crossCheckName(name, detected, weights, features),
    ...weights.warnings,
    ...settings.warnings,
  ];
  const reading = overrides.online ? onlineReading(sd, module, weights, modality, detected) : weights;
  if (reading !== weights && reading.place !== weights.place) warnings.push(...reading.warnings);
  const head = findHead(sd, reading.backbone.featureChannels, overrides.numClasses);
  const image =
    !overrides.online &&
    !name.config &&
    overrides.segments === undefined &&
    bareBackbone &&
    head.weight !== 'new_fc.weight';
  const kind = overrides.online ? 'online' : reading.place !== 'none' ? 'tsm' : image ? 'image' : 'tsn';
  if (kind === 'image' && module.online && head.classes !== IMAGENET_CLASSES) {
    // The online demo saves a bare MobileNetV2 state dict: nothing in it says "TSM" or "streaming".
    warnings.push(
      `a bare ${module.title} state dict with ${head.classes} classes, read as a one-frame image classifier; if it ` +
        `is a TSM online (streaming) model like the online demo's, \`tsm convert --online\` builds the streaming model`,
    );
  }
  const spec: ArchSpec = {
    name:
      kind === 'image' ? detected : kind === 'online' ? `TSM-${detected}-online` : `${kind.toUpperCase()}-${detected}`,
    kind,
    backbone: reading.backbone,
    segments: kind === 'image' || kind === 'online' ? 1 : settings.segments,
    shift: { div: settings.div, place: reading.place, layout: reading.layout, shiftedBlocks: reading.shiftedBlocks },
    head,
    consensus: 'avg',
    inputSize: overrides.size ?? 224,
    modality,
    inputChannels,
  };
  // the head decides how views average (verify/protocols/mmaction2-average.ts): the config's, else TSN means TSNHead
  const headType = mma?.settings?.head.type?.value;
  const mmaHead: MmActionHeadKind =
    headType === 'TSNHead' || headType === 'TSMHead' ? headType : kind === 'tsn' ? 'TSNHead' : 'TSMHead';
  const mmaction2 = mma ? { said: mma.said, protocol: { ...mma.protocol, head: mmaHead } } : undefined;
  return { spec, stateDict: sd, fileName: named?.config, named, warnings, ...(mmaction2 ? { mmaction2 } : {}) };
}
