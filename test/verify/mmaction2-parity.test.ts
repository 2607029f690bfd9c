import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportOnnxModel } from '../../src/convert/convert.js';
import { DATASETS } from '../../src/data/dataset.js';
import { loadMmActionViews } from '../../src/frames/mmaction2-clip.js';
import { MMACTION2_PROTOCOL_KEY, type MmActionTestProtocol } from '../../src/model/mmaction2-protocol.js';
import { type VerifyResult, verifyModel } from '../../src/verify/verify.js';
import { type MmaEvalRequest, mmaEval, referenceClips } from '../helpers/mma-eval.js';
import { maxAbsDiff, PYTHON, ROOT, readF32 } from '../helpers/reference.js';
import { requireTool } from '../helpers/requirements.js';
import { fileTempDir } from '../helpers/tmp.js';

/**
 * `verify --protocol mmaction2` against the Python reference evaluation (tools/reference/mma_eval/eval_mma.py: cv2 +
 * torch, written from the facts) on the mini Jester set's frame folders and on a list of videos made from it (and from
 * OpenCV's sample footage) at test time: the same top-1 on every clip and every averaged score within 1e-4, for
 * CenterCrop, ThreeCrop and TenCrop under 'prob' and 'score'. The model is the bundled trained TSM-MobileNetV2 (its
 * predictions vary with the clip), exported at 112 (center, ten: short side 128) and at 128 (three: the crop spans
 * the short side), with `tsm.mmaction2` written into its metadata as the MMAction2 convert will write it.
 */
const CHECKPOINT = join(ROOT, 'fixtures/models/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.pth');
const MINI = join(ROOT, 'fixtures/jester-mini');
const SAMPLE_VIDEO = '/usr/share/doc/opencv-doc/examples/data/Megamind.avi';
const out = fileTempDir('tsm-mma-parity-');

const haveTorch = requireTool(
  "Debian's torch and OpenCV for /usr/bin/python3",
  spawnSync(PYTHON, ['-c', 'import torch, cv2'], { stdio: 'ignore' }).status === 0,
  'apt-get install -y python3-torch python3-opencv',
);
const haveFfmpeg = requireTool(
  'ffmpeg on PATH and OpenCV’s sample videos',
  spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0 && existsSync(SAMPLE_VIDEO),
  'apt-get install -y ffmpeg opencv-doc',
);

const protocolFor = (crop: MmActionTestProtocol['crop']): MmActionTestProtocol => ({
  release: '1.x',
  sampling: { clipLen: 1, frameInterval: 1, numClips: 8, twiceSample: false },
  resize: { shortSide: 128 },
  crop,
  mean: [123.675, 116.28, 103.53],
  std: [58.395, 57.12, 57.375],
  averageClips: 'prob',
});

/** The checkpoint exported at `size` with the protocol in its metadata. */
function mmaModel(name: string, size: number, protocol: MmActionTestProtocol): string {
  const path = join(out, name);
  const { onnx } = exportOnnxModel({
    input: CHECKPOINT,
    overrides: { size },
    extraMetadata: { [MMACTION2_PROTOCOL_KEY]: JSON.stringify(protocol) },
  });
  writeFileSync(path, onnx);
  return path;
}

type Crop = 'center' | 'three' | 'ten';
const CASES: ReadonlyArray<{ crop: Crop; size: number; frameClips: number; twice?: boolean }> = [
  { crop: 'center', size: 112, frameClips: 80 },
  { crop: 'three', size: 128, frameClips: 16 },
  { crop: 'ten', size: 112, frameClips: 8, twice: true },
];

interface Figures {
  crop: Crop;
  average: 'prob' | 'score';
  source: string;
  clips: number;
  sameTop1: number;
  maxAbsDelta: number;
}
const figures: Figures[] = [];

function checkParity(r: VerifyResult, reference: string, f: Omit<Figures, 'clips' | 'sameTop1' | 'maxAbsDelta'>) {
  const ref = referenceClips(reference);
  expect(r.predictions.length).toBe(ref.size);
  expect(r.parity?.clips).toBe(ref.size);
  for (const p of r.predictions) expect(ref.get(p.id)?.views).toBe(r.protocol.viewsPerClip);
  figures.push({ ...f, clips: ref.size, sameTop1: r.parity!.samePrediction, maxAbsDelta: r.parity!.maxAbsScoreDelta });
  expect(r.parity!.samePrediction).toBe(ref.size);
  expect(r.parity!.maxAbsScoreDelta).toBeLessThanOrEqual(1e-4);
}

describe.runIf(haveTorch)('--protocol mmaction2 against the Python reference on frame folders', () => {
  const frames = { framesDir: DATASETS.jester.framesDir, template: DATASETS.jester.imageTemplate };
  for (const c of CASES) {
    it(`${c.crop} crop${c.twice ? ', twice_sample' : ''}: same top-1, scores within 1e-4, prob and score`, async () => {
      const request: MmaEvalRequest = {
        checkpoint: CHECKPOINT,
        root: MINI,
        list: 'val_videofolder.txt',
        source: frames,
        size: c.size,
        shortSide: 128,
        crop: c.crop,
        numClips: 8,
        twice: c.twice,
        maxNum: c.frameClips,
      };
      const ref = mmaEval(request);
      const model = mmaModel(`frames-${c.crop}.onnx`, c.size, protocolFor({ kind: c.crop, size: c.size }));
      for (const average of ['prob', 'score'] as const) {
        const r = await verifyModel({
          model,
          dataset: 'jester',
          root: MINI,
          maxNum: c.frameClips,
          reference: ref[average],
          // twice_sample and 'score' from the flags: they override the model's
          mmaction2: { ...(c.twice ? { twiceSample: true } : {}), ...(average === 'score' ? { average } : {}) },
        });
        expect(r.protocol.name).toBe('mmaction2');
        expect(r.protocol.mmaction2).toMatchObject({ averageClips: average, startIndex: 1, source: 'model' });
        checkParity(r, ref[average], { crop: c.crop, average, source: 'frames' });
      }
      // the first clip's input views, byte for byte what the reference fed its model
      const first = await loadMmActionViews(
        {
          root: MINI,
          config: DATASETS.jester,
          id: '100001',
          frames: 39,
          segments: 8,
          size: c.size,
          scale: 128,
          crops: 1,
          sampling: 'uniform',
          resize: 'pillow',
        },
        {
          sampling: { clipLen: 1, frameInterval: 1, numClips: 8, twiceSample: c.twice ?? false },
          startIndex: 1,
          resize: { shortSide: 128 },
          crop: { kind: c.crop, size: c.size },
          mean: [123.675, 116.28, 103.53],
          std: [58.395, 57.12, 57.375],
        },
      );
      expect(maxAbsDiff(first.views as Float32Array, readF32(ref.input))).toBe(0);
    });
  }

  it('the protocol matters: the same model under --protocol tsm scores differently', async () => {
    const ref = mmaEval({
      checkpoint: CHECKPOINT,
      root: MINI,
      list: 'val_videofolder.txt',
      source: frames,
      size: 112,
      shortSide: 128,
      crop: 'center',
      numClips: 8,
      maxNum: 80,
    });
    const model = mmaModel('frames-center.onnx', 112, protocolFor({ kind: 'center', size: 112 }));
    // TSM's protocol: Pillow's bilinear to 128, centre crop rounded half to even, raw logits averaged (≈ 'score')
    const tsm = await verifyModel({ model, dataset: 'jester', root: MINI, protocol: 'tsm', reference: ref.score });
    expect(tsm.protocol.name).toBe('tsm');
    expect(tsm.parity!.maxAbsScoreDelta).toBeGreaterThan(1e-2);
    figures.push({
      crop: 'center',
      average: 'score',
      source: 'frames, --protocol tsm',
      clips: tsm.parity!.clips,
      sameTop1: tsm.parity!.samePrediction,
      maxAbsDelta: tsm.parity!.maxAbsScoreDelta,
    });
  });
});

/** Lossless RGB videos (PNG in Matroska: every decoder gives the same pixels) of a few mini clips and of footage. */
function makeVideos(dir: string): string {
  mkdirSync(join(dir, 'videos'));
  const lines: string[] = [];
  const ffmpeg = (args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);
  for (const [id, label] of [
    ['100001', 16],
    ['100004', 1],
    ['100010', 5],
    ['100023', 9],
  ] as const) {
    const video = `videos/${id}.mkv`;
    ffmpeg(['-framerate', '12', '-i', join(MINI, '20bn-jester-v1', id, '%05d.jpg'), '-c:v', 'png', join(dir, video)]);
    lines.push(`${video} ${label}`);
  }
  // 720×528 footage: a down-scale, and a frame count other than the list's
  const megamind = join(dir, 'videos/megamind.mkv');
  ffmpeg(['-i', SAMPLE_VIDEO, '-an', '-frames:v', '30', '-c:v', 'png', '-pix_fmt', 'rgb24', megamind]);
  lines.push('videos/megamind.mkv 3');
  writeFileSync(join(dir, 'videos.txt'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'category.txt'), execFileSync('cat', [join(MINI, 'category.txt')]));
  return dir;
}

describe.runIf(haveTorch && haveFfmpeg)("--protocol mmaction2 on a video list (MMAction2's 'path label')", () => {
  const root = join(out, 'video-set');
  mkdirSync(root);
  let made = false;
  for (const c of CASES) {
    it(`${c.crop} crop: same top-1, scores within 1e-4, prob and score; start_index 0`, async () => {
      if (!made) made = Boolean(makeVideos(root));
      const ref = mmaEval({
        checkpoint: CHECKPOINT,
        root,
        list: 'videos.txt',
        source: 'videos',
        size: c.size,
        shortSide: 128,
        crop: c.crop,
        numClips: 8,
        twice: c.twice,
      });
      const model = mmaModel(`videos-${c.crop}.onnx`, c.size, protocolFor({ kind: c.crop, size: c.size }));
      for (const average of ['prob', 'score'] as const) {
        const r = await verifyModel({
          model,
          dataset: 'jester',
          root,
          list: join(root, 'videos.txt'),
          videos: true,
          ffmpeg: 'ffmpeg',
          reference: ref[average],
          mmaction2: { ...(c.twice ? { twiceSample: true } : {}), average },
        });
        expect(r.protocol.mmaction2).toMatchObject({ startIndex: 0, averageClips: average });
        expect(r.unreadableClips).toEqual([]);
        checkParity(r, ref[average], { crop: c.crop, average, source: 'videos' });
      }
    });
  }

  it('prints the parity figures', () => {
    process.stdout.write(
      `\nmmaction2 protocol parity (crop × averaging × source: clips, same top-1, max |Δscore|)\n${figures
        .map(
          (f) =>
            `${f.crop} ${f.average} ${f.source}: ${f.clips} clips, ${f.sameTop1} same top-1, ` +
            f.maxAbsDelta.toExponential(2),
        )
        .join('\n')}\n`,
    );
    expect(figures.length).toBeGreaterThan(0);
  });
});
