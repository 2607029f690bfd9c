import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync, unlinkSync, renameSync } from 'node:fs';
const model = process.argv[2];
const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 2, graphOptimizationLevel: 'all', enableProfiling: true, profileFilePrefix: '/tmp/ortprof', optimizedModelFilePath: '/tmp/opt.onnx' });
const x = new ort.Tensor('float32', new Float32Array(8 * 3 * 224 * 224).map(() => Math.random()), [1, 8, 3, 224, 224]);
for (let i = 0; i < 4; i++) await s.run({ video: x });
s.endProfiling(); const file = readdirSync('/tmp').filter((f) => f.startsWith('ortprof')).map((f) => '/tmp/' + f).pop();
const ev = JSON.parse(readFileSync(file, 'utf8'));
const byOp = {};
let runs = 0;
for (const e of ev) {
  if (e.cat === 'Session' && e.name === 'model_run') runs++;
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const op = e.args.op_name;
  byOp[op] = (byOp[op] ?? 0) + e.dur;
}
const total = Object.values(byOp).reduce((a, b) => a + b, 0);
console.log('runs', runs, 'total kernel ms/run', (total / runs / 1000).toFixed(1));
for (const [op, d] of Object.entries(byOp).sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log(op.padEnd(22), (d / runs / 1000).toFixed(1), 'ms');
unlinkSync(file);
