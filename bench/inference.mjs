// npm run bench:inference — onnxruntime-node ms per 8-frame clip (batch 1 and 8) for tsm's ONNX vs the
// torch.onnx export of the same weights vs PyTorch eager, TSM-R50 and TSM-MobileNetV2 at 224 and the non-local
// TSM-R50 at batch 1, in one run; the view of the dense Kinetics protocol (8 frames at 256², batch 8, plain and
// non-local R50: tsm only) for docs/cluster.md's estimate; achieved GFLOP/s against an fp32 peak measured in the same
// run
// on the same threads (the fastest run of large prepacked MatMuls and chained NCHWc convolutions); tsm's int8 export
// of the same weights (calibrated on the mini Jester set; accuracy effects are in bench:precision). The eager column
// runs PyTorch 2.x where the first python3 on PATH has it, else Debian's torch, and names the version and interpreter.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { delimiter, join } from 'node:path';
import { quantizeCheckpoint } from '../dist/convert/quantize.js';
import { convertCheckpoint, countMacs, detectArch, readCheckpointFile } from '../dist/index.js';
import { GraphBuilder } from '../dist/onnx/builder.js';
import { runJson, timeOnnx, timeOnnxPaired, timeOnnxRuns } from './common.mjs';
import { userEnv } from './launch.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const THREADS = 2; // every onnxruntime session here, the peak's included
const here = import.meta.dirname;
const gen = join(here, '.generated');
mkdirSync(gen, { recursive: true });
const R50 = {
  arch: 'resnet50',
  place: 'blockres',
  file: 'TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e2.pth',
};
const NL = {
  arch: 'resnet50',
  place: 'blockres',
  file: 'TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment8_e100_dense_nl.pth',
};
const MODELS = [
  { id: 'r50_blockres', ...R50, size: 224, batches: [1, 8] },
  {
    id: 'mbv2_official',
    arch: 'mobilenetv2',
    file: 'TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e25.pth',
    place: 'blockres',
    size: 224,
    batches: [1, 8],
  },
  // non-local R50: float32 only (no int8 export), batch 1 only (PyTorch eager takes seconds a clip)
  { id: 'nl_r50', ...NL, size: 224, batches: [1], int8: false },
  // a view of the dense Kinetics protocol (--full-res: 8 frames at 256²), at batch 8 since verify runs a batch of
  // clips' views at once; tsm alone: it is the per-view cost docs/cluster.md's estimate needs
  { id: 'r50_blockres', ...R50, size: 256, batches: [8], int8: false, references: false },
  { id: 'nl_r50', ...NL, size: 256, batches: [8], int8: false, references: false },
];

/**
 * The fp32 peak of this machine on the threads the models run on, measured: the fastest run of the best of large
 * compute-bound kernels onnxruntime has — MatMuls against a constant (prepacked) matrix, and chains of 3×3 and 1×1
 * convolutions + ReLU with ResNet-50's channel counts, spatial sizes and frame batches, which onnxruntime runs in its
 * blocked NCHWc kernels with the ReLU fused, as in the models. A chain keeps its activations blocked from one
 * convolution to the next: a lone convolution pays the NCHW ↔ NCHWc reorders of its input and output in every run,
 * which a model pays once, so a model could beat it (it did here: the peak was then raised to the model, and "% of
 * peak" said nothing). Each kernel is timed in two sessions and the first discarded (the first session of a shape
 * runs cold). The peak is never raised: if a model's median still beats the best kernel's fastest run, the kernels
 * missed the peak, and the run says so and prints no fraction.
 */
async function peakGflops() {
  const DEPTH = 4;
  const matmul = (n) => ({
    name: `MatMul ${n}² (prepacked)`,
    flops: 2 * n ** 3,
    shape: [n, n],
    build: (g) => {
      const a = g.input({ name: 'a', elemType: 'float', shape: [n, n] });
      g.node(
        'MatMul',
        [
          a,
          g.initializer(
            'b',
            'float',
            [n, n],
            Float32Array.from({ length: n * n }, (_, i) => Math.sin(i)),
          ),
        ],
        {},
        { outputNames: ['y'] },
      );
      g.output({ name: 'y', elemType: 'float', shape: [n, n] });
    },
  });
  const convChain = ([c, k, hw, n]) => ({
    name: `${DEPTH}× Conv+ReLU ${c}→${c} ${k}×${k} at ${hw}², batch ${n}`,
    flops: DEPTH * 2 * c * c * k * k * hw * hw * n,
    shape: [n, c, hw, hw],
    build: (g) => {
      let x = g.input({ name: 'x', elemType: 'float', shape: [n, c, hw, hw] });
      const p = (k - 1) / 2;
      for (let d = 0; d < DEPTH; d++) {
        // weights scaled so that activations neither vanish nor blow up along the chain (He-like, sign-mixed by sin)
        const w = g.initializer(
          `w${d}`,
          'float',
          [c, c, k, k],
          Float32Array.from({ length: c * c * k * k }, (_, i) => Math.sin(i + d) * Math.sqrt(4 / (c * k * k))),
        );
        const [y] = g.node('Conv', [x, w, g.initializer(`b${d}`, 'float', [c], new Float32Array(c))], {
          kernel_shape: [k, k],
          pads: [p, p, p, p],
        });
        [x] = g.node('Relu', [y], {}, d === DEPTH - 1 ? { outputNames: ['y'] } : {});
      }
      g.output({ name: 'y', elemType: 'float', shape: [n, c, hw, hw] });
    },
  });
  const kernels = [
    ...[1024, 2048].map(matmul),
    // ResNet-50's 3×3 convolutions at 224² for one 8-frame clip (layers 1–4), one wider at 56², and 1×1 convolutions
    ...[
      [64, 3, 56, 8],
      [128, 3, 28, 8],
      [256, 3, 14, 8],
      [512, 3, 7, 8],
      [256, 3, 56, 1],
      [256, 1, 56, 8],
      [512, 1, 28, 8],
      [1024, 1, 14, 8],
    ].map(convChain),
  ];
  const best = { gflops: 0, kernel: '', byKernel: {} };
  for (const kernel of kernels) {
    const g = new GraphBuilder();
    kernel.build(g);
    const path = join(gen, 'peak_kernel.onnx');
    writeFileSync(path, g.toModel({ opset: 13, producerVersion: 'bench', graphName: 'peak', metadata: {} }));
    await timeOnnx(path, kernel.shape, RUNS, THREADS); // the cold round
    const gflops = kernel.flops / (Math.min(...(await timeOnnxRuns(path, kernel.shape, RUNS, THREADS))) / 1000) / 1e9;
    best.byKernel[kernel.name] = gflops;
    if (gflops > best.gflops) Object.assign(best, { gflops, kernel: kernel.name });
  }
  return best;
}

const STAND_IN = join(here, 'torchvision-stand-in');
const PROBE = `import json, sys
try:
    import torch
except Exception as e:
    print(json.dumps({"executable": sys.executable, "error": " +
      ""cannot import torch (%s: %s)" % (type(e).__name__, str(e).splitlines()[0])}))
    sys.exit()
try:
    import torchvision
    vision = torchvision.__version__
except Exception:
    vision = None
print(json.dumps({"executable": sys.executable, "torch": torch.__version__, "torchvision": vision}))`;

/**
 * The interpreter and environment of the eager column: the first python3 on PATH when its torch is 2.x (a current
 * PyTorch; Debian's 1.13 is 1.6–4× slower and would flatter tsm), else Debian's /usr/bin/python3. Without
 * torchvision (a torch wheel installed alone), bench/torchvision-stand-in goes on PYTHONPATH: the only thing
 * tools/reference/tsm_models.py takes from torchvision is its ResNets, which the stand-in builds with the same module
 * names (the checkpoints load into it strictly).
 */
function eagerPython() {
  const env = userEnv();
  const probe = (python) => {
    try {
      return JSON.parse(
        execFileSync(python, ['-c', PROBE], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] })
          .trim()
          .split('\n')
          .pop(),
      );
    } catch (err) {
      return {
        executable: python,
        error:
          err.code === 'ENOENT'
            ? 'is not there'
            : `fails (${String(err.stderr || err.message)
                .trim()
                .split('\n')
                .pop()})`,
      };
    }
  };
  const first = probe('python3');
  const usable = (p) => !p.error && Number(p.torch.split('.')[0]) >= 2;
  const chosen = usable(first) ? first : probe('/usr/bin/python3');
  if (chosen.error)
    throw new Error(
      `no PyTorch for the eager column: python3 ${first.error ?? `has torch ${first.torch}`}; ` +
        `${chosen.executable} ${chosen.error}`,
    );
  const standIn = chosen.torchvision === null;
  const runEnv = standIn ? { ...env, PYTHONPATH: [STAND_IN, env.PYTHONPATH].filter(Boolean).join(delimiter) } : env;
  const why =
    chosen === first
      ? ''
      : `; the first python3 on PATH (${first.executable}) ${first.error ?? `has torch ${first.torch}, not 2.x`}`;
  return { python: chosen.executable, torch: chosen.torch, torchvisionStandIn: standIn, env: runEnv, note: why };
}

/**
 * --opset 10 against the default (13) in onnxruntime-node: the two differ only in how Clip (ReLU6) and Pad (the
 * shift) take their constants, and onnxruntime fuses Conv + Clip either way, so opset 10 must not be slower. Each
 * pair runs both graphs back to back (timeOnnxPaired), so a drift of this shared machine hits both sides of a ratio.
 */
async function opset10VsDefault(models, pairs = 7) {
  const out = [];
  for (const m of models) {
    const ckpt = join(gen, m.id, m.file);
    const [ten, thirteen] = [10, 13].map(
      (opset) =>
        convertCheckpoint({
          input: ckpt,
          output: join(gen, `${m.id}_${m.size}_tsm_opset${opset}.onnx`),
          opset,
          overrides: { size: m.size },
        }).output,
    );
    for (const batch of m.batches) {
      const p = await timeOnnxPaired(ten, thirteen, [batch, 8, 3, m.size, m.size], pairs, THREADS);
      out.push({
        model: m.id,
        size: m.size,
        batch,
        opset10Ms: p.aMs / batch,
        opset13Ms: p.bMs / batch,
        ratio: p.ratio,
        ratioMin: p.ratioMin,
        ratioMax: p.ratioMax,
      });
    }
  }
  return out;
}

const eager = eagerPython();
const rows = [];
for (const m of MODELS) {
  const ckpt = join(gen, m.id, m.file);
  if (!existsSync(ckpt))
    execFileSync('/usr/bin/python3', [join(here, '../tools/reference/make_variants.py'), gen, m.id], {
      stdio: 'ignore',
    });
  const tag = `${m.id}_${m.size}`;
  const overrides = { size: m.size };
  const ours = convertCheckpoint({ input: ckpt, output: join(gen, `${tag}_tsm.onnx`), overrides }).output;
  const int8 =
    m.int8 === false
      ? undefined
      : (
          await quantizeCheckpoint({
            input: ckpt,
            output: join(gen, `${tag}_tsm_int8.onnx`),
            overrides,
            calibration: { root: join(here, '../fixtures/jester-mini'), clips: 8 },
          })
        ).output;
  const references = m.references !== false; // the torch.onnx export and eager PyTorch, both at 224² only
  const torchOnnx = join(gen, `${m.id}_torch.onnx`);
  if (references && !existsSync(torchOnnx))
    runJson('/usr/bin/python3', [
      join(here, '../tools/reference/torch_route.py'),
      ckpt,
      torchOnnx,
      m.arch,
      '8',
      '8',
      m.place,
      '27',
    ]);
  const macs = countMacs(detectArch(readCheckpointFile(ckpt).stateDict, { fileName: ckpt, overrides }).spec);
  const row = { model: m.id, size: m.size, gmacsPerClip: macs / 1e9 };
  for (const batch of m.batches) {
    const shape = [batch, 8, 3, m.size, m.size];
    const o = (await timeOnnx(ours, shape, RUNS, THREADS)) / batch;
    const t = references ? (await timeOnnx(torchOnnx, shape, RUNS, THREADS)) / batch : NaN;
    const q = int8 ? (await timeOnnx(int8, shape, RUNS, THREADS)) / batch : NaN;
    const e = references
      ? runJson(
          eager.python,
          [join(here, '../tools/reference/time_eager.py'), ckpt, m.arch, '8', m.place, String(batch), String(RUNS)],
          eager.env,
        ).msPerClip
      : NaN;
    row[`batch${batch}`] = {
      tsmMs: o,
      torchOnnxMs: t,
      eagerMs: e,
      vsTorchOnnx: t / o,
      vsEager: e / o,
      tsmGflops: (2 * macs) / (o / 1000) / 1e9,
      int8Ms: q,
      int8VsTsm: o / q,
      int8VsEager: e / q,
    };
  }
  rows.push(row);
}
const kernels = await peakGflops();
const measured = rows.flatMap((r) =>
  [1, 8]
    .map((b) => r[`batch${b}`])
    .filter(Boolean)
    .map((x) => ({ r, x })),
);
const fastest = measured.reduce((a, b) => (b.x.tsmGflops > a.x.tsmGflops ? b : a));
const missed = fastest.x.tsmGflops > kernels.gflops;
const peak = {
  gflops: kernels.gflops,
  setBy: kernels.kernel,
  kernelGflops: kernels.byKernel,
  threads: THREADS,
  cpu: cpus()[0]?.model ?? 'unknown',
  // a model faster than every kernel means the kernels did not find the peak: no fraction is printed then
  missedBy: missed ? { model: `${fastest.r.model} at ${fastest.r.size}²`, gflops: fastest.x.tsmGflops } : null,
};
for (const { x } of measured) x.fractionOfPeak = missed ? null : x.tsmGflops / peak.gflops;
const result = {
  runs: RUNS,
  eager: {
    torch: eager.torch,
    python: eager.python,
    torchvisionStandIn: eager.torchvisionStandIn,
    threads: 2,
    note: eager.note || null,
  },
  peak,
  rows,
  opset10: await opset10VsDefault(MODELS.filter((m) => m.size === 224 && m.id !== 'nl_r50')),
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  const num = (v, digits, width) => (Number.isFinite(v) ? v.toFixed(digits) : '—').padStart(width);
  const times = (v, width) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—').padStart(width + 1);
  const eagerName =
    `PyTorch ${eager.torch} ` +
    `(${eager.python}${eager.torchvisionStandIn ? ', ResNets from bench/torchvision-stand-in' : ''}), 2 ` +
    `threads${eager.note}`;
  console.log(`${peak.cpu}; ${THREADS} onnxruntime threads; medians of ${RUNS} after a warm-up; eager is ${eagerName}`);
  if (missed)
    console.log(
      `fp32 peak NOT measured: ${peak.missedBy.model} ran at ${peak.missedBy.gflops.toFixed(1)} GFLOP/s, faster than ` +
        `every kernel (best ${peak.gflops.toFixed(1)}, ${peak.setBy}); no % of peak is printed`,
    );
  else
    console.log(
      `fp32 peak, measured: ${peak.gflops.toFixed(1)} GFLOP/s (the fastest run of ${peak.setBy}); every ` +
        `model in this run is below it`,
    );
  console.log(
    `  kernels (fastest run): ${Object.entries(peak.kernelGflops)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join('; ')} GFLOP/s`,
  );
  console.log(
    'model           size  batch  tsm ms/clip  torch.onnx ms/clip  eager ms/clip  ×torch.onnx  ×eager  GFLOP/s (% of ' +
      'peak)  | int8 ms/clip  ×tsm fp32  ×eager',
  );
  for (const r of rows)
    for (const b of [1, 8]) {
      const x = r[`batch${b}`];
      if (!x) continue;
      const ofPeak = x.fractionOfPeak === null ? '' : ` (${(x.fractionOfPeak * 100).toFixed(0)} %)`;
      const int8 = Number.isNaN(x.int8Ms)
        ? '   (float32 only)'
        : `${num(x.int8Ms, 1, 12)}  ${times(x.int8VsTsm, 8)}  ${times(x.int8VsEager, 5)}`;
      console.log(
        `${r.model.padEnd(14)} ${String(r.size).padStart(5)} ${String(b).padStart(6)}  ${num(x.tsmMs, 1, 11)}  ` +
          `${num(x.torchOnnxMs, 1, 18)}  ${num(x.eagerMs, 1, 13)}  ${times(x.vsTorchOnnx, 10)}  ` +
          `${times(x.vsEager, 5)}  ${`${x.tsmGflops.toFixed(1)}${ofPeak}`.padEnd(19)}  | ${int8}`,
      );
    }
  console.log(
    '--opset 10 (OpenCV DNN) vs the default 13, paired: model  size  batch  opset 10 ms/clip  opset 13 ms/clip  ' +
      "ratio 10/13 (pairs' range)",
  );
  for (const o of result.opset10)
    console.log(
      `${o.model.padEnd(14)} ${String(o.size).padStart(5)} ${String(o.batch).padStart(6)}  ` +
        `${o.opset10Ms.toFixed(1).padStart(16)}  ${o.opset13Ms.toFixed(1).padStart(16)}  ` +
        `${o.ratio.toFixed(3)} (${o.ratioMin.toFixed(3)}–${o.ratioMax.toFixed(3)})`,
    );
}
