// npm run bench:shift — what the temporal shift costs in tsm's graphs: the TSM graph against the TSN graph of the
// same weights (the same spec with the shifts taken out), TSM-R50 and TSM-MobileNetV2 at 224, batch 1 and 8, as the
// median of BENCH_PAIRS per-pair ratios (a burst of each graph back to back, both sessions warm: on a machine whose
// speed drifts, separate blocks of runs measure the drift as much as the shift); then onnxruntime's own profile of
// the TSM graph at batch 1 (kernel ms a run by op type) and the layout reorders its NCHWc transformer inserted, which
// the shift's Slice/Pad/Concat cause.
import './launch.mjs';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { buildTsnGraph, detectArch, readCheckpointFile } from '../dist/index.js';
import { concatModel } from '../dist/onnx/builder.js';
import { timeOnnxPaired } from './common.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 11);
const here = import.meta.dirname;
const gen = join(here, '.generated');
mkdirSync(gen, { recursive: true });
const MODELS = [
  { id: 'r50_blockres', file: 'TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e2.pth' },
  { id: 'mbv2_official', file: 'TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e25.pth' },
];

function build(spec, stateDict, path) {
  const built = buildTsnGraph(spec, stateDict, { producerVersion: 'bench', metadata: {} });
  writeFileSync(path, concatModel(built.model));
  return path;
}

/** The same spec without shifts: every block unshifted, kind TSN. */
function withoutShift(spec) {
  const b = spec.backbone;
  const blocks = b.blocks.map((x) => ({ ...x, shift: b.family === 'resnet' ? 'none' : false }));
  return {
    ...spec,
    kind: 'tsn',
    name: spec.name.replace(/^TSM/, 'TSN'),
    backbone: { ...b, blocks },
    shift: { ...spec.shift, place: 'none', shiftedBlocks: [] },
  };
}

/** onnxruntime's profile of `model` at `shape`: kernel ms a run by op type, and the op histogram after optimisation. */
async function profile(model, shape) {
  const prefix = join(gen, 'ortprofile');
  const optimized = join(gen, 'optimized.onnx');
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    enableProfiling: true,
    profileFilePrefix: prefix,
    optimizedModelFilePath: optimized,
    logSeverityLevel: 3,
  });
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)),
    shape,
  );
  for (let i = 0; i <= RUNS; i++) await session.run({ [session.inputNames[0]]: x });
  session.endProfiling();
  await session.release();
  const file = readdirSync(gen)
    .filter((f) => f.startsWith('ortprofile'))
    .map((f) => join(gen, f))
    .pop();
  const events = JSON.parse(readFileSync(file, 'utf8'));
  rmSync(file);
  // per run, the first (warm-up) run left out
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const after = runs[1]?.ts ?? 0;
  const byOp = {};
  for (const e of events)
    if (e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= after)
      byOp[e.args.op_name] = (byOp[e.args.op_name] ?? 0) + e.dur / 1000 / (runs.length - 1);
  const graph = onnxProto.onnx.ModelProto.decode(readFileSync(optimized)).graph;
  const nodes = {};
  for (const n of graph.node) nodes[n.opType] = (nodes[n.opType] ?? 0) + 1;
  rmSync(optimized);
  return { kernelMsByOp: byOp, optimizedNodes: nodes };
}

const rows = [];
for (const m of MODELS) {
  const ckpt = join(gen, m.id, m.file);
  if (!existsSync(ckpt))
    execFileSync('/usr/bin/python3', [join(here, '../tools/reference/make_variants.py'), gen, m.id], {
      stdio: 'ignore',
    });
  const { stateDict } = readCheckpointFile(ckpt);
  const { spec } = detectArch(stateDict, { fileName: ckpt });
  const tsm = build(spec, stateDict, join(gen, `${m.id}_shift_tsm.onnx`));
  const tsn = build(withoutShift(spec), stateDict, join(gen, `${m.id}_shift_tsn.onnx`));
  const row = { model: m.id, shiftedBlocks: spec.shift.shiftedBlocks.length };
  for (const batch of [1, 8]) {
    const t = await timeOnnxPaired(tsm, tsn, [batch, 8, 3, 224, 224], PAIRS);
    row[`batch${batch}`] = {
      tsmMs: t.aMs / batch,
      tsnMs: t.bMs / batch,
      ratio: t.ratio,
      ratioMin: t.ratioMin,
      ratioMax: t.ratioMax,
    };
  }
  row.profile = await profile(tsm, [1, 8, 3, 224, 224]);
  rows.push(row);
}
const SHIFT_OPS = ['Slice', 'Pad', 'Concat', 'ReorderInput', 'ReorderOutput', 'Reshape'];
if (process.argv.includes('--json')) console.log(JSON.stringify({ pairs: PAIRS, profileRuns: RUNS, rows }, null, 2));
else {
  console.log(
    `the shift's cost: TSM graph vs TSN graph of the same weights, onnxruntime-node, 2 threads, median of ${PAIRS} ` +
      `paired runs (range of the pair ratios in brackets)`,
  );
  for (const r of rows) {
    for (const b of [1, 8]) {
      const x = r[`batch${b}`];
      console.log(
        `${r.model.padEnd(14)} batch ${b}: TSM ${x.tsmMs.toFixed(1)} ms/clip, TSN ${x.tsnMs.toFixed(1)} ms/clip → ` +
          `${x.ratio.toFixed(3)}× [${x.ratioMin.toFixed(3)}–${x.ratioMax.toFixed(3)}]`,
      );
    }
    const p = r.profile;
    const total = Object.values(p.kernelMsByOp).reduce((s, v) => s + v, 0);
    const shiftMs = SHIFT_OPS.reduce((s, op) => s + (p.kernelMsByOp[op] ?? 0), 0);
    const top = Object.entries(p.kernelMsByOp)
      .sort((u, v) => v[1] - u[1])
      .slice(0, 8)
      .map(([op, ms]) => `${op} ${ms.toFixed(1)}`)
      .join(', ');
    console.log(
      `${''.padEnd(14)} profile (batch 1, kernel ms a run): ${top}; shift ops + reorders ${shiftMs.toFixed(1)} of ` +
        `${total.toFixed(1)} ms; ${r.shiftedBlocks} shifted blocks, ${p.optimizedNodes.ReorderInput ?? 0} ` +
        `ReorderInput / ${p.optimizedNodes.ReorderOutput ?? 0} ReorderOutput after optimisation`,
    );
  }
}
