// npm run fuzz [-- --count N --seed S --json]: mutated checkpoints through tsm inspect's code path.
// Figures: typed refusals, successes, crashes (anything but a user-kind TsmError), hangs (> 1 s), and
// successes with wrong data (our tensors differ from what torch.load reads from the same mutated bytes).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpoint, summarizeCheckpoint, TsmError, tensorBytes } from '../dist/index.js';
import { mutate, prng } from './mutate.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const COUNT = opt('--count', 10000);
const SEED = opt('--seed', 1);
const here = import.meta.dirname;
// The sources include zips re-zipped with deflated entries (fixtures/pth/*_deflated.*), so mutants also reach the
// inflate path: corrupt streams, wrong sizes and CRCs of inflated data; `deflated` counts those mutants apart.
// NOTE: dtypes_bigendian.pth is left out: Debian's torch 1.13 ignores the zip `byteorder` record (torch 2 reads it),
// so torch itself would be the wrong reference for its mutants.
const sources = ['fixtures/pth', 'fixtures/hostile', 'fixtures/safetensors'].flatMap((d) =>
  readdirSync(join(here, '..', d))
    .filter((f) => /\.(pth|pt|tar|safetensors)$/.test(f) && f !== 'dtypes_bigendian.pth')
    .map((f) => join(here, '..', d, f)),
);
const rand = prng(SEED);
const stats = {
  tried: 0,
  refused: 0,
  succeeded: 0,
  crashes: 0,
  hangs: 0,
  wrongData: 0,
  torchRefusedWhatWeRead: 0,
  byKind: {},
  codes: {},
  deflated: { tried: 0, refused: 0, succeeded: 0 },
};
const crashes = [];
const successDir = join(here, '.generated/successes');
rmSync(successDir, { recursive: true, force: true });
mkdirSync(successDir, { recursive: true });
const ours = {};

for (let i = 0; i < COUNT; i++) {
  const src = sources[Math.floor(rand() * sources.length)];
  const m = mutate(readFileSync(src), rand);
  stats.tried++;
  stats.byKind[m.kind] = (stats.byKind[m.kind] ?? 0) + 1;
  const deflated = src.includes('_deflated.');
  if (deflated) stats.deflated.tried++;
  const t0 = performance.now();
  try {
    const ckpt = readCheckpoint(m.bytes, { source: `mutant-${i}` });
    summarizeCheckpoint(ckpt);
    const digests = {};
    for (const [name, t] of ckpt.stateDict) digests[name] = createHash('sha256').update(tensorBytes(t)).digest('hex');
    stats.succeeded++;
    if (deflated) stats.deflated.succeeded++;
    const file = join(successDir, `${i}.pth`);
    writeFileSync(file, m.bytes);
    ours[`${i}.pth`] = digests;
  } catch (err) {
    if (err instanceof TsmError && err.kind === 'user') {
      stats.refused++;
      if (deflated) stats.deflated.refused++;
      stats.codes[err.code] = (stats.codes[err.code] ?? 0) + 1;
    } else {
      stats.crashes++;
      if (crashes.length < 20)
        crashes.push({
          i,
          source: src,
          kind: m.kind,
          detail: m.detail,
          error: String(err?.stack ?? err)
            .split('\n')
            .slice(0, 3)
            .join(' | '),
        });
    }
  }
  if (performance.now() - t0 > 1000) stats.hangs++;
}

// What does torch read from the mutants we accepted?
if (stats.succeeded) {
  const theirs = JSON.parse(
    execFileSync('/usr/bin/python3', [join(here, 'torch_digests.py'), successDir], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    }),
  );
  for (const [file, digests] of Object.entries(ours)) {
    const t = theirs[file];
    if (!t || t.error) {
      stats.torchRefusedWhatWeRead++;
      continue;
    }
    const same =
      Object.keys(digests).length === Object.keys(t).length && Object.entries(digests).every(([k, v]) => t[k] === v);
    if (!same) stats.wrongData++;
  }
}
const result = { seed: SEED, sources: sources.length, ...stats, crashSamples: crashes };
if (args.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  console.log(
    `fuzz: ${stats.tried} mutants (seed ${SEED}) of ${sources.length} checkpoints: ${JSON.stringify(stats.byKind)}`,
  );
  console.log(
    `refused with a typed error ${stats.refused}, read ${stats.succeeded}, crashes ${stats.crashes}, hangs (>1 s) ${stats.hangs}, wrong data ${stats.wrongData} (torch refused ${stats.torchRefusedWhatWeRead} of the files we read)`,
  );
  console.log(`refusal codes: ${JSON.stringify(stats.codes)}`);
  console.log(
    `of them mutants of deflated zips: ${stats.deflated.tried} (refused ${stats.deflated.refused}, read ${stats.deflated.succeeded})`,
  );
  for (const c of crashes) console.log(`crash: ${JSON.stringify(c)}`);
}
process.exitCode = stats.crashes || stats.hangs || stats.wrongData ? 1 : 0;
