#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.hugetlb=1:${GLIBC_TUNABLES} node
// The tsm CLI. Errors, oclif's own included, are reported by dist/cli/top-level.js (one line, or one JSON object).
// The shebang asks glibc (Linux; ignored elsewhere) to back large allocations with transparent huge pages: a 95 MB
// checkpoint's buffer then faults in 2 MB at a time instead of 4 KB, which on a VM is most of the cost of reading it
// (bench:read), and session creation loses ~0.5 s. Tunables the user set come after ours, so theirs win.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// onnxruntime-node 1.30 sends usage telemetry from Linux and macOS unless told not to. Its library reads
// ORT_DISABLE_TELEMETRY (the only such name in its binary): set, it creates no uploader, device id or log file. tsm
// opts out unless the user set it either way; ORT_TELEMETRY_DISABLED, the name some onnxruntime notes give, too.
process.env.ORT_DISABLE_TELEMETRY ??= '1';
process.env.ORT_TELEMETRY_DISABLED ??= '1';

// A checkout has no dist/ after `npm ci` (the project's .npmrc sets ignore-scripts, so `prepare` does not run):
// build it once, here. A published package ships dist/.
const root = fileURLToPath(new URL('..', import.meta.url));
if (
  !existsSync(new URL('../dist/cli/top-level.js', import.meta.url)) &&
  existsSync(new URL('../src', import.meta.url))
) {
  process.stderr.write('tsm: building dist/ (first run in this checkout)…\n');
  execFileSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', root], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
const { flush, run } = await import('@oclif/core');
const { handleTopLevelError } = await import('../dist/cli/top-level.js');
const argv = process.argv.slice(2);
await run(argv, import.meta.url)
  .then(() => flush())
  .catch((err) => handleTopLevelError(err, argv, import.meta.url));
