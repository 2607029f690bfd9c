import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ensureMmaVariants,
  MMA_DIR,
  MMA_INSTALL,
  MMA_SOURCES,
  type MmaVariant,
  mmaConfigText,
  mmaPath,
  mmaRequirementsMet,
} from '../helpers/mma-reference.js';
import { maxAbsDiff, PYTHON, readF32 } from '../helpers/reference.js';
import { requireTool } from '../helpers/requirements.js';

/**
 * What tools/reference/mmaction2/make_mma_variants.py promises, checked from outside: MMAction2's key names and
 * counts per kind (shared/MMACTION2-FACTS.md §2), the figures that make the references worth testing against (§7),
 * arrays that agree with those figures and with MMAction2's averaging (§5), and files that torch 1.13 reads back and
 * that are pickled as MMAction2 1.x/0.x pickles them (§1, §6). tsm itself does not read these files yet.
 */

interface FileReport {
  zip: boolean;
  zipFolders?: string[];
  globals: Array<[string, string]>;
  weightsOnly: { ok: boolean; error?: string };
  fullLoad: { ok: boolean; error?: string; okWithStandins?: boolean };
  topKeys: string[] | null;
  hasMetadata: boolean;
  metadataModules: string[];
  keys: string[];
  shapes: Record<string, number[]>;
  params: number;
  numBatchesTracked: string[];
  dtypes: string[];
  metaKeys?: string[];
  metaTypes?: Record<string, string>;
  configSha256?: string | null;
  hookMsgs?: Record<string, string>;
  datasetMeta?: unknown;
  messageHub?: { keys: string[]; logScalars: Record<string, string>; runtimeInfo: Record<string, string> };
  optimizerStates?: number;
  paramSchedulers?: number;
}

const FP64_LIMIT = 3e-5;
const MOVES = 0.05;
const BLOCKS: Record<number, number[]> = { 50: [3, 4, 6, 3], 101: [3, 4, 23, 3] };
const NL_BLOCKS = ['layer2.0', 'layer2.2', 'layer3.0', 'layer3.2', 'layer3.4'];
const NL_SUFFIXES = [
  'g.0.conv.weight',
  'g.0.conv.bias',
  'conv_out.conv.weight',
  'conv_out.bn.weight',
  'conv_out.bn.bias',
  'conv_out.bn.running_mean',
  'conv_out.bn.running_var',
  'conv_out.bn.num_batches_tracked',
  'theta.conv.weight',
  'theta.conv.bias',
  'phi.0.conv.weight',
  'phi.0.conv.bias',
];
const MBV2_SHIFTED = [
  'layer2.1',
  'layer3.1',
  'layer3.2',
  'layer4.1',
  'layer4.2',
  'layer4.3',
  'layer5.1',
  'layer5.2',
  'layer6.1',
  'layer6.2',
];
const META_1X = ['epoch', 'iter', 'cfg', 'seed', 'experiment_name', 'time', 'mmengine_version', 'dataset_meta'];
const META_0X = [
  'mmaction_version',
  'config',
  'env_info',
  'seed',
  'config_name',
  'work_dir',
  'hook_msgs',
  'epoch',
  'iter',
  'mmcv_version',
  'time',
];

/** Parameters (weights and biases, no BN statistics) of MMAction2's ResNet without its head, from the layer shapes. */
function resnetBackboneParams(depth: number): number {
  let p = 3 * 64 * 49 + 2 * 64;
  let inplanes = 64;
  BLOCKS[depth].forEach((n, i) => {
    const planes = 64 * 2 ** i;
    for (let b = 0; b < n; b++) {
      p += inplanes * planes + 9 * planes * planes + planes * 4 * planes + 2 * (planes + planes + 4 * planes);
      if (b === 0) p += inplanes * 4 * planes + 2 * 4 * planes;
      inplanes = 4 * planes;
    }
  });
  return p;
}

function nonLocalParams(c: number, mode: string): number {
  const inter = c / 2;
  const conv = c * inter + inter; // 1x1x1, with bias
  return conv * (mode === 'gaussian' ? 1 : 3) + inter * c + 2 * c;
}

function expectedCounts(v: MmaVariant): { keys: number; params: number } {
  const head = (c: number) => c * v.classes + v.classes;
  if (v.kind === 'MobileNetV2TSM') return { keys: 314, params: 2_223_872 + head(1280) };
  const blocks = BLOCKS[v.depth!].reduce((a, b) => a + b, 0);
  let keys = 6 + 18 * blocks + 4 * 6 + 2;
  let params = resnetBackboneParams(v.depth!) + head(2048);
  if (v.nonLocalCfg) {
    const mode = v.nonLocalCfg.mode;
    keys += NL_BLOCKS.length * (mode === 'gaussian' ? 8 : 12);
    params += 2 * nonLocalParams(512, mode) + 3 * nonLocalParams(1024, mode);
  }
  return { keys, params };
}

function softmax(row: Float32Array | number[]): number[] {
  const m = Math.max(...row);
  const e = Array.from(row, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function rows(flat: Float32Array, width: number): Float32Array[] {
  return Array.from({ length: flat.length / width }, (_, i) => flat.subarray(i * width, (i + 1) * width));
}

function mean(vectors: ArrayLike<number>[]): number[] {
  return Array.from(vectors[0], (_, j) => vectors.reduce((a, v) => a + v[j], 0) / vectors.length);
}

/** SampleFrames in test mode, from the facts (§5): ⌊avg·i + avg/2⌋ (+ ⌊avg·i⌋ with twice_sample) + start_index. */
function sampleFrames(total: number, clips: number, twice: boolean, start: number): number[] {
  const avg = total / clips;
  const offsets = Array.from({ length: clips }, (_, i) => Math.floor(i * avg + avg / 2));
  if (twice) offsets.push(...Array.from({ length: clips }, (_, i) => Math.floor(i * avg)));
  return offsets.map((o) => (o % total) + start);
}

const ok = requireTool(
  "Debian's python3-torch and python3-opencv, and opencv-doc's sample videos",
  mmaRequirementsMet(),
  MMA_INSTALL,
);

describe.runIf(ok)('MMAction2 reference checkpoints (tools/reference/mmaction2)', () => {
  const variants = ok ? ensureMmaVariants() : {};
  const entries = Object.entries(variants);
  let files: Record<string, FileReport> = {};
  beforeAll(() => {
    const out = execFileSync(PYTHON, [join(MMA_SOURCES, 'check_mma_files.py'), MMA_DIR], { maxBuffer: 256 << 20 });
    files = JSON.parse(out.toString('utf8'));
  });

  it('cover every kind of issue 27, both formats with and without meta, both key sets and every container', () => {
    const kinds = new Set(
      entries.map(([, v]) =>
        [
          v.kind,
          v.depth ?? '',
          v.shiftPlace ?? '',
          v.temporalPool ? 'tpool' : '',
          v.nonLocalCfg ? `${v.nonLocalCfg.mode}${v.nonLocalCfg.use_scale ? '+scale' : ''}` : '',
          v.head,
        ]
          .filter((x) => x !== '')
          .join(' '),
      ),
    );
    expect([...kinds].sort()).toEqual(
      [
        'MobileNetV2TSM TSMHead',
        'ResNet 50 TSNHead',
        'ResNetTSM 101 blockres TSMHead',
        'ResNetTSM 50 block TSMHead',
        'ResNetTSM 50 blockres TSMHead',
        'ResNetTSM 50 blockres dot_product TSMHead',
        'ResNetTSM 50 blockres embedded_gaussian TSMHead',
        'ResNetTSM 50 blockres embedded_gaussian+scale TSMHead',
        'ResNetTSM 50 blockres gaussian TSMHead',
        'ResNetTSM 50 blockres tpool TSMHead',
      ].sort(),
    );
    const combos = new Set(entries.map(([, v]) => `${v.format} ${v.meta ? 'meta' : 'no-meta'}`));
    expect([...combos].sort()).toEqual(['legacy meta', 'legacy no-meta', 'zip meta', 'zip no-meta']);
    expect(new Set(entries.filter(([, v]) => v.meta).map(([, v]) => v.keySet))).toEqual(new Set(['1.x', '0.x']));
    expect(new Set(entries.map(([, v]) => v.container))).toEqual(
      new Set(['published-1.x', 'unpublished-1.x', 'published-0.x', 'state-dict-only', 'bare']),
    );
    expect(new Set(entries.map(([, v]) => v.pipeline.crop))).toEqual(new Set(['CenterCrop', 'ThreeCrop', 'TenCrop']));
    expect(entries.some(([, v]) => v.pipeline.twice_sample)).toBe(true);
    expect(new Set(entries.map(([, v]) => v.source.kind))).toEqual(new Set(['video', 'rawframes']));
  });

  it(
    'reproduce the facts sheet key and parameter counts (r50tsm 320 / 24.33M, r50tsm_nl 380 / 31.68M, ' +
      'mbv2tsm 314 / 2.736M, r50tsn 320)',
    () => {
      const byKind = (pred: (v: MmaVariant) => boolean) =>
        files[entries.find(([, v]) => pred(v) && v.classes === 400)![0]];
      const r50 = byKind(
        (v) =>
          v.kind === 'ResNetTSM' && v.depth === 50 && v.shiftPlace === 'blockres' && !v.nonLocalCfg && !v.temporalPool,
      );
      const nl = byKind((v) => v.nonLocalCfg?.mode === 'embedded_gaussian' && !v.nonLocalCfg.use_scale);
      const mbv2 = byKind((v) => v.kind === 'MobileNetV2TSM');
      const tsn = byKind((v) => v.kind === 'ResNet');
      expect([r50.keys.length, nl.keys.length, mbv2.keys.length, tsn.keys.length]).toEqual([320, 380, 314, 320]);
      expect(Math.round(r50.params / 1e4) / 100).toBe(24.33);
      expect(Math.round(nl.params / 1e4) / 100).toBe(31.68);
      expect(Math.round(mbv2.params / 1e3) / 1000).toBe(2.736);
      expect(tsn.params).toBe(r50.params);
    },
  );

  describe.each(entries)('%s', (id, v) => {
    const report = () => files[id];
    const f32 = (name: string) => readF32(mmaPath(v, name));

    it('has MMAction2 key names and counts for its kind', () => {
      const r = report();
      const { keys, params } = expectedCounts(v);
      expect(r.keys.length).toBe(keys);
      expect(r.params).toBe(params);
      expect(r.keys.every((k) => k.startsWith('backbone.') || k.startsWith('cls_head.'))).toBe(true);
      expect(r.keys.filter((k) => k.startsWith('cls_head.'))).toEqual([
        'cls_head.fc_cls.weight',
        'cls_head.fc_cls.bias',
      ]);
      expect(r.shapes['cls_head.fc_cls.weight']).toEqual([v.classes, v.kind === 'MobileNetV2TSM' ? 1280 : 2048]);
      // ConvModule naming (conv / bn), never torchvision's (bn1, downsample.0/1, conv1.weight)
      expect(r.keys.filter((k) => /\.bn\d\.|downsample\.\d\.|\.conv\d\.weight$/.test(k))).toEqual([]);
      expect(r.numBatchesTracked).toEqual(['torch.int64/0']);
      expect(r.dtypes).toEqual(['torch.float32']);
      expect(r.keys.some((k) => k.includes('data_preprocessor'))).toBe(false);

      const shifted = (re: RegExp) => r.keys.map((k) => re.exec(k)?.[1]).filter((x): x is string => !!x);
      if (v.kind === 'ResNetTSM') {
        // blocks as 'stage.block'; their key prefix under temporal pooling (layer2.net.Y) and non-local (….block)
        const blocks = BLOCKS[v.depth!].flatMap((n, s) => Array.from({ length: n }, (_, b) => `${s + 1}.${b}`));
        const pooled = (b: string) => (v.temporalPool && b.startsWith('2.') ? `layer2.net.${b.slice(2)}` : `layer${b}`);
        const nl = (b: string) => (v.nonLocalCfg && NL_BLOCKS.includes(`layer${b}`) ? `${pooled(b)}.block` : pooled(b));
        if (v.shiftPlace === 'blockres') {
          // every block, or every second one when layer3 has >= 23 blocks (R101), in every stage
          const every = v.depth === 101 ? 2 : 1;
          const want = blocks
            .filter((b) => Number(b.split('.')[1]) % every === 0)
            .map(nl)
            .sort();
          expect(shifted(/^backbone\.(.+)\.conv1\.conv\.net\.weight$/).sort()).toEqual(want);
          if (every === 2) expect(r.keys).toContain('backbone.layer3.1.conv1.conv.weight');
        } else {
          expect(shifted(/^backbone\.(.+)\.net\.conv1\.conv\.weight$/).sort()).toEqual(blocks.map(nl).sort());
          expect(r.keys.some((k) => k.includes('conv.net'))).toBe(false);
        }
        if (v.temporalPool)
          expect(
            r.keys.filter((k) => k.startsWith('backbone.layer2.')).every((k) => k.startsWith('backbone.layer2.net.')),
          ).toBe(true);
        else expect(r.keys.some((k) => k.includes('layer2.net.'))).toBe(false);
      }
      if (v.nonLocalCfg) {
        const suffixes = v.nonLocalCfg.mode === 'gaussian' ? NL_SUFFIXES.slice(0, 8) : NL_SUFFIXES;
        for (const b of NL_BLOCKS) {
          const prefix = `backbone.${b}.non_local_block.`;
          expect(r.keys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length))).toEqual(suffixes);
          const c = b.startsWith('layer2') ? 512 : 1024;
          expect(r.shapes[`${prefix}g.0.conv.weight`]).toEqual([c / 2, c, 1, 1, 1]);
          expect(r.shapes[`${prefix}conv_out.conv.weight`]).toEqual([c, c / 2, 1, 1, 1]);
          expect(r.shapes[`${prefix}conv_out.bn.running_var`]).toEqual([c]);
          if (v.nonLocalCfg.mode !== 'gaussian')
            expect(r.shapes[`${prefix}phi.0.conv.weight`]).toEqual([c / 2, c, 1, 1, 1]);
        }
        expect(
          r.keys.some((k) => k.includes('non_local_block') && !NL_BLOCKS.some((b) => k.startsWith(`backbone.${b}.`))),
        ).toBe(false);
      } else {
        expect(r.keys.some((k) => k.includes('non_local'))).toBe(false);
      }
      if (v.kind === 'MobileNetV2TSM') {
        expect(shifted(/^backbone\.(.+)\.conv\.0\.net\.conv\.weight$/).sort()).toEqual([...MBV2_SHIFTED].sort());
        expect(r.shapes['backbone.conv1.conv.weight']).toEqual([32, 3, 3, 3]);
        expect(r.shapes['backbone.layer1.0.conv.0.conv.weight']).toEqual([32, 1, 3, 3]);
        expect(r.shapes['backbone.layer2.1.conv.0.net.conv.weight']).toEqual([144, 24, 1, 1]);
        expect(r.shapes['backbone.conv2.conv.weight']).toEqual([1280, 320, 1, 1]);
      }
      if (v.kind === 'ResNet') {
        expect(r.keys.some((k) => k.includes('.net.'))).toBe(false);
        expect(r.keys).toContain('backbone.layer1.0.conv1.conv.weight');
      }
    });

    it('has figures that make it worth testing against, and arrays that agree with them', () => {
      const fig = v.figures;
      const k = v.classes;
      const input = f32('input.f32');
      const logits = f32('logits.f32');
      const reversed = f32('reversed.f32');
      const scores = f32('scores.f32');
      expect(v.inputShape).toEqual([v.views, v.segments, 3, v.size, v.size]);
      expect(input.length).toBe(v.inputShape.reduce((a, b) => a * b, 1));
      expect(v.logitsShape).toEqual([v.views, k]);
      expect([logits.length, reversed.length, scores.length]).toEqual([v.views * k, v.views * k, k]);
      expect(input.every(Number.isFinite) && logits.every(Number.isFinite)).toBe(true);

      // its own fp64 run agrees (so a 1e-4 parity tolerance means something); logits are O(10)
      expect(fig.fp64Delta).toBeGreaterThan(0);
      expect(fig.fp64Delta).toBeLessThanOrEqual(FP64_LIMIT);
      expect(Number(readFileSync(mmaPath(v, 'fp64_delta'), 'utf8'))).toBeCloseTo(fig.fp64Delta, 10);
      expect(maxAbsDiff(f32('logits_fp64.f32'), logits.subarray(0, fig.fp64Views * k))).toBeCloseTo(fig.fp64Delta, 5);
      expect(fig.logitMaxAbs).toBeGreaterThan(3);
      expect(fig.logitMaxAbs).toBeLessThan(50);
      expect(Math.max(...Array.from(logits, Math.abs))).toBeCloseTo(fig.logitMaxAbs, 4);

      // time order: TSM sees it, TSN (a mean over frames) does not
      expect(maxAbsDiff(reversed, logits)).toBeCloseTo(fig.reversalDelta, 5);
      if (v.kind === 'ResNet') expect(fig.reversalDelta).toBeLessThan(1e-4);
      else expect(fig.reversalDelta).toBeGreaterThan(MOVES);

      if (v.nonLocalCfg) {
        expect(fig.nlOffDelta).toBeGreaterThan(MOVES);
        expect(maxAbsDiff(f32('without_nl.f32'), logits)).toBeCloseTo(fig.nlOffDelta!, 5);
        if (v.nonLocalCfg.mode === 'embedded_gaussian') {
          expect(fig.useScaleFlipDelta).toBeGreaterThan(MOVES);
          expect(maxAbsDiff(f32('use_scale_flipped.f32'), logits)).toBeCloseTo(fig.useScaleFlipDelta!, 5);
        }
        if (v.nonLocalCfg.mode !== 'dot_product') {
          // softmax attention tempered to a peaked but not hard spread (facts §7)
          expect(fig.attentionSpread).toHaveLength(5);
          for (const s of fig.attentionSpread!) expect(s).toBeGreaterThan(3);
          for (const s of fig.attentionSpread!) expect(s).toBeLessThan(5);
        }
      }

      // predictions vary over real clips (a model that predicts one class everywhere makes agreement trivial)
      expect(fig.varietyPredictions).toHaveLength(6);
      expect(fig.distinctPredictions).toBe(new Set(fig.varietyPredictions).size);
      expect(fig.distinctPredictions).toBeGreaterThanOrEqual(3);
      expect(fig.varietyPredictions.every((p) => p >= 0 && p < k)).toBe(true);

      // average_clips: TSMHead scores each view ('prob': softmax per view, then mean); TSNHead averages the features
      // of all views first, which is the softmax of the mean logits
      expect(v.averageClips).toBe('prob');
      const views = rows(logits, k);
      const meanOfSoftmax = mean(views.map(softmax));
      const softmaxOfMean = softmax(mean(views));
      expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      if (v.head === 'TSMHead') {
        expect(maxAbsDiff(scores, meanOfSoftmax)).toBeLessThan(1e-6);
        expect(fig.recognizerPathDelta).toBeLessThanOrEqual(FP64_LIMIT);
      } else {
        expect(maxAbsDiff(scores, softmaxOfMean)).toBeLessThan(1e-5);
        if (v.views > 1) expect(maxAbsDiff(scores, meanOfSoftmax)).toBeGreaterThan(1e-4);
      }
      expect(fig.prediction).toBe(scores.indexOf(Math.max(...scores)));

      // the clip was sampled as SampleFrames does, from a video (start 0) or rawframes (start 1)
      const src = v.source;
      expect(src.startIndex).toBe(src.kind === 'video' ? 0 : 1);
      expect(src.frameIndices).toEqual(
        sampleFrames(src.totalFrames, v.pipeline.num_clips, !!v.pipeline.twice_sample, src.startIndex),
      );
      const crops = { CenterCrop: 1, ThreeCrop: 3, TenCrop: 10 }[v.pipeline.crop];
      expect(v.views).toBe(
        crops * (v.pipeline.twice_sample ? 2 : 1) * (v.head === 'TSNHead' ? 1 : v.pipeline.num_clips / v.segments),
      );
    });

    it('is read back by torch 1.13 and pickled as MMAction2 saves it', () => {
      const r = report();
      const path = mmaPath(v);
      const bytes = readFileSync(path);
      const name = basename(v.file);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(v.sha256);
      expect(r.zip).toBe(v.format === 'zip');
      const g = (module: string, n: string) => bytes.includes(Buffer.from(`c${module}\n${n}\n`, 'latin1'));
      const nonTorch = r.globals.filter(([m]) => !m.startsWith('torch')).map(([m, n]) => `${m}.${n}`);

      if (v.container === 'unpublished-1.x') {
        expect(r.fullLoad.ok).toBe(false);
        expect(r.fullLoad.error).toMatch(/No module named 'mmengine'/);
        expect(r.fullLoad.okWithStandins).toBe(true);
      } else {
        expect(r.fullLoad).toEqual({ ok: true });
      }

      if (v.container === 'published-0.x') {
        expect(r.weightsOnly.ok).toBe(false);
        expect(r.weightsOnly.error).toMatch(/numpy\.core\.multiarray\.scalar/);
        expect(nonTorch).toEqual(expect.arrayContaining(['numpy.core.multiarray.scalar', 'numpy.dtype']));
        expect(g('numpy.core.multiarray', 'scalar') && g('numpy', 'dtype')).toBe(true);
        expect(r.hookMsgs).toEqual({ last_ckpt: 'str', best_score: 'numpy.float64', best_ckpt: 'str' });
      } else if (v.container === 'unpublished-1.x') {
        expect(r.weightsOnly.ok).toBe(false);
        expect(r.weightsOnly.error).toMatch(/mmengine\.logging\.history_buffer\.HistoryBuffer/);
        expect(nonTorch).toEqual(
          expect.arrayContaining([
            'mmengine.logging.history_buffer.HistoryBuffer',
            'numpy.core.multiarray._reconstruct',
            'numpy.ndarray',
            'numpy.dtype',
          ]),
        );
        expect(g('mmengine.logging.history_buffer', 'HistoryBuffer')).toBe(true);
        expect(r.messageHub!.keys).toEqual(['log_scalars', 'runtime_info', 'resumed_keys']);
        expect(new Set(Object.values(r.messageHub!.logScalars))).toEqual(
          new Set(['mmengine.logging.history_buffer.HistoryBuffer']),
        );
        expect(r.optimizerStates).toBe(r.keys.filter((key) => !/running_|num_batches/.test(key)).length);
        expect(r.paramSchedulers).toBe(2);
      } else {
        // published 1.x and meta-less files hold only what torch's weights_only allowlist has
        expect(r.weightsOnly).toEqual({ ok: true });
        expect(nonTorch).toEqual(['collections.OrderedDict']);
        expect(bytes.includes(Buffer.from('cnumpy')) || bytes.includes(Buffer.from('cmmengine'))).toBe(false);
      }

      expect(r.hasMetadata).toBe(true);
      expect(r.metadataModules).toEqual(
        v.keySet === '1.x' ? ['backbone', 'cls_head', 'data_preprocessor'] : ['backbone', 'cls_head'],
      );
      const top = {
        'published-1.x': ['meta', 'state_dict'],
        'published-0.x': ['meta', 'state_dict'],
        'state-dict-only': ['state_dict'],
        bare: null,
        'unpublished-1.x': ['meta', 'state_dict', 'message_hub', 'optimizer', 'param_schedulers'],
      }[v.container];
      expect(r.topKeys).toEqual(top);

      if (v.meta) {
        expect(r.metaKeys).toEqual(v.keySet === '1.x' ? META_1X : META_0X);
        expect(v.configText).toBe(v.keySet === '1.x' ? 'meta.cfg' : 'meta.config');
        // the config text in the file is the committed one, and it describes the clip
        const text = mmaConfigText(v);
        expect(r.configSha256).toBe(createHash('sha256').update(text).digest('hex'));
        expect(v.config).toBe(v.settingsFrom);
        expect(text).toContain(
          v.keySet === '1.x'
            ? `crop_size=${v.size}, type='${v.pipeline.crop}'`
            : `type='${v.pipeline.crop}', crop_size=${v.size}`,
        );
        if (v.keySet === '1.x') expect(r.datasetMeta).toEqual({});
        else expect(text).toMatch(/^gpu_ids = range\(0, 8\)$/m);
      }

      // names as publish_model.py leaves them, <config>_<date>-<sha8>.pth: 1.x saves <config>.pth and appends the
      // date, 0.x saves <config>_<date>.pth and appends the hash only, so the zip's folder tells them apart
      const published = /^(.+)_(\d{8})-([0-9a-f]{8})\.pth$/.exec(name);
      if (v.container === 'published-1.x' || v.container === 'published-0.x') {
        expect(published).not.toBeNull();
        const [, stem, date, sha8] = published!;
        expect(v.sha256.startsWith(sha8)).toBe(true);
        expect(stem).toBe(basename(v.config!, '.py'));
        if (v.format === 'zip')
          expect(r.zipFolders).toEqual([v.container === 'published-1.x' ? stem : `${stem}_${date}`]);
      } else {
        expect(published).toBeNull();
        if (v.format === 'zip') expect(r.zipFolders).toEqual([name.replace(/\.pth$/, '')]);
      }
    });
  });
});
