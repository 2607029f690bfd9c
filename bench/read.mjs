// npm run bench:read — our reader vs torch.load on the same ResNet-50-sized checkpoint, both formats, and the same
// weights as safetensors vs a Python reader built the way the safetensors library reads (the package is not in
// Debian), same run.
// Each figure is the median of RUNS fresh processes after one warm-up. `--json` prints the table as JSON.
// tsm runs in its executable's environment (huge-page malloc, see bin/run.js); the speed-up is against torch.load as
// the caller runs it, and torch.load is also timed with tsm's environment so the share of the gain that is the
// environment, not the reader, is in the same table.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { shebangAssignments } from '../tools/launch-env.mjs';
import { median, runJson } from './common.mjs';
import { userEnv } from './launch.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const dir = join(import.meta.dirname, '.generated');
mkdirSync(dir, { recursive: true });

const rows = [];
for (const format of ['legacy', 'zip', 'safetensors']) {
  const file = join(
    dir,
    `TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e2.${format}.${format === 'safetensors' ? format : 'pth'}`,
  );
  if (!existsSync(file)) {
    if (format === 'safetensors') {
      const zip = join(dir, 'TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e2.zip.pth');
      execFileSync('/usr/bin/python3', [join(import.meta.dirname, '../tools/reference/to_safetensors.py'), zip, file]);
    } else
      execFileSync('/usr/bin/python3', [join(import.meta.dirname, '../tools/make_big_checkpoint.py'), file, format]);
  }
  const bytes = statSync(file).size;
  const measure = (cmd, args, env = process.env) => {
    runJson(cmd, args, env); // warm-up (page cache)
    const samples = Array.from({ length: RUNS }, () => runJson(cmd, args, env));
    return {
      seconds: median(samples.map((s) => s.seconds)),
      peakRssBytes: median(samples.map((s) => s.peakRssBytes)),
      baselineRssBytes: median(samples.map((s) => s.baselineRssBytes)),
    };
  };
  const ours = measure(process.execPath, [join(import.meta.dirname, 'read-once.mjs'), file]);
  const torchArgs = [
    join(
      import.meta.dirname,
      format === 'safetensors' ? '../tools/time_safetensors_load.py' : '../tools/time_torch_load.py',
    ),
    file,
  ];
  const torch = measure('/usr/bin/python3', torchArgs, userEnv());
  const torchInTsmEnv = measure('/usr/bin/python3', torchArgs);
  rows.push({
    format,
    fileBytes: bytes,
    ours,
    torch,
    torchInTsmEnv,
    speedupVsTorch: torch.seconds / ours.seconds,
    speedupVsTorchInTsmEnv: torchInTsmEnv.seconds / ours.seconds,
    oursPeakRssOverFile: ours.peakRssBytes / bytes,
    oursAddedRssOverFile: (ours.peakRssBytes - ours.baselineRssBytes) / bytes,
  });
}
if (process.argv.includes('--json')) console.log(JSON.stringify({ runs: RUNS, rows }, null, 2));
else {
  const mb = (b) => (b / 1e6).toFixed(0).padStart(5);
  console.log(`checkpoint read, median of ${RUNS} fresh processes (after 1 warm-up)`);
  console.log(
    `tsm's environment (bin/run.js's shebang): ${shebangAssignments()
      .map(([name]) => `${name}=${process.env[name]}`)
      .join(' ')}`,
  );
  console.log(
    "format       file MB   tsm s   torch s   speed-up   (torch s in tsm's env, speed-up)   tsm peak RSS MB (×file, " +
      'added ×file)   torch peak RSS MB',
  );
  console.log("(torch s: torch.load; for safetensors, json + torch.frombuffer over the file's bytes)");
  for (const r of rows) {
    console.log(
      `${r.format.padEnd(12)} ${mb(r.fileBytes)}    ${r.ours.seconds.toFixed(3)}   ` +
        `${r.torch.seconds.toFixed(3).padStart(7)}   ${r.speedupVsTorch.toFixed(1).padStart(7)}×   ` +
        `(${r.torchInTsmEnv.seconds.toFixed(3)} s, ` +
        `${r.speedupVsTorchInTsmEnv.toFixed(1)}×)${' '.repeat(17)}${mb(r.ours.peakRssBytes)} ` +
        `(${r.oursPeakRssOverFile.toFixed(2)}×, ` +
        `${r.oursAddedRssOverFile.toFixed(2)}×)${' '.repeat(18)}${mb(r.torch.peakRssBytes)}`,
    );
  }
}
