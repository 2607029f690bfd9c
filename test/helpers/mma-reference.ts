/**
 * PyTorch references of MMAction2's TSM/TSN recognizers (tools/reference/mmaction2/make_mma_variants.py, Debian's
 * torch 1.13 and OpenCV): checkpoints saved as MMAction2 1.x/0.x save them, the clip each was run on and its logits,
 * generated once per digest of tools/reference/mmaction2/**.py into test/.generated/mmaction2 (its own digest, so
 * editing these sources never regenerates test/.generated/variants, nor the other way round).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED, PYTHON, ROOT } from './reference.js';

export const MMA_SOURCES = join(ROOT, 'tools/reference/mmaction2');
export const MMA_DIR = join(GENERATED, 'mmaction2');
export const MMA_VIDEO = '/usr/share/doc/opencv-doc/examples/data/Megamind.avi';
export const MMA_INSTALL = 'apt-get install -y python3-torch python3-opencv opencv-doc';

/** What the generator needs: Debian's torch and OpenCV for /usr/bin/python3, and OpenCV's sample video. */
export function mmaRequirementsMet(): boolean {
  if (!existsSync(MMA_VIDEO)) return false;
  return spawnSync(PYTHON, ['-c', 'import torch, cv2, numpy'], { stdio: 'ignore' }).status === 0;
}

export type MmaContainer = 'published-1.x' | 'unpublished-1.x' | 'published-0.x' | 'state-dict-only' | 'bare';

export interface MmaFigures {
  /** max |fp32 − fp64| of the per-view logits, over the first `fp64Views` views */
  fp64Delta: number;
  fp64Views: number;
  /** max |logits(clip) − logits(clip reversed along T)| */
  reversalDelta: number;
  /** max |logits − logits with every non-local block the identity| (non-local kinds) */
  nlOffDelta?: number;
  /** max |logits − logits with use_scale negated| (embedded_gaussian) */
  useScaleFlipDelta?: number;
  /** per non-local block: std over keys of the pairwise logits, RMS over queries (calibration clips) */
  attentionSpread?: number[];
  /** TSMHead kinds: the Recognizer2D path on two views against the per-view logits */
  recognizerPathDelta?: number;
  logitStd: number;
  logitMaxAbs: number;
  varietyPredictions: number[];
  distinctPredictions: number;
  prediction: number;
}

export interface MmaVariant {
  /** relative to MMA_DIR */
  file: string;
  kind: 'ResNetTSM' | 'MobileNetV2TSM' | 'ResNet';
  head: 'TSMHead' | 'TSNHead';
  depth: number | null;
  /** the MMAction2 version whose recognizer produced the state dict (1.x adds a key-less data_preprocessor) */
  keySet: '1.x' | '0.x';
  container: MmaContainer;
  format: 'zip' | 'legacy';
  meta: boolean;
  /** the config text the file carries (relative to tools/reference/mmaction2), or null */
  config: string | null;
  configText: 'meta.cfg' | 'meta.config' | null;
  /** the config whose settings the model and input follow (for files without meta too) */
  settingsFrom: string;
  weightsOf: string;
  segments: number;
  size: number;
  classes: number;
  shiftDiv: number | null;
  shiftPlace: 'blockres' | 'block' | null;
  temporalPool: boolean;
  nonLocal: number[][] | null;
  nonLocalCfg: {
    mode: 'embedded_gaussian' | 'dot_product' | 'gaussian';
    use_scale: boolean;
    sub_sample: boolean;
  } | null;
  averageClips: 'prob' | 'score';
  pipeline: {
    num_clips: number;
    twice_sample?: boolean;
    resize: number;
    crop: 'CenterCrop' | 'ThreeCrop' | 'TenCrop';
    crop_size: number;
  };
  views: number;
  /** [views, T, 3, S, S] */
  inputShape: number[];
  /** [views, K] */
  logitsShape: number[];
  /** where the test clip's frames came from: a video (absolute path) or a rawframe folder (relative to the repository,
   * line `listLine` of fixtures/jester-mini/val_videofolder.txt), and the SampleFrames indices taken */
  source: {
    kind: 'video' | 'rawframes';
    path: string;
    startIndex: number;
    totalFrames: number;
    frameIndices: number[];
    template?: string;
    label?: number;
    listLine?: number;
  };
  sha256: string;
  bytes: number;
  figures: MmaFigures;
  seconds: number;
  cpuSeconds: number;
}

function sourcesDigest(): string {
  const h = createHash('sha256');
  const files = (readdirSync(MMA_SOURCES, { recursive: true }) as string[]).filter((f) => f.endsWith('.py')).sort();
  for (const f of files)
    h.update(f)
      .update('\0')
      .update(readFileSync(join(MMA_SOURCES, f)));
  return h.digest('hex');
}

/**
 * Generates the MMAction2 reference set (or reuses it while the generator's sources are unchanged) and returns its
 * index. The set is written into a temporary folder and renamed into place, so an interrupted run leaves no half
 * set behind a valid stamp. Takes ~1–2 minutes of two cores when it has to generate.
 */
export function ensureMmaVariants(): Record<string, MmaVariant> {
  const stamp = join(MMA_DIR, '.sources');
  const digest = sourcesDigest();
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== digest) {
    const tmp = `${MMA_DIR}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      execFileSync(PYTHON, [join(MMA_SOURCES, 'make_mma_variants.py'), tmp], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      writeFileSync(join(tmp, '.sources'), digest);
      rmSync(MMA_DIR, { recursive: true, force: true });
      renameSync(tmp, MMA_DIR);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return JSON.parse(readFileSync(join(MMA_DIR, 'variants.json'), 'utf8'));
}

/** Absolute path of a file of variant `v` (its checkpoint by default). */
export function mmaPath(v: MmaVariant, name?: string): string {
  return name ? join(MMA_DIR, v.file.split('/')[0], name) : join(MMA_DIR, v.file);
}

/** The config text a variant's settings come from (the very text its meta carries, when it has meta). */
export function mmaConfigText(v: MmaVariant): string {
  return readFileSync(join(MMA_SOURCES, v.settingsFrom), 'utf8');
}
