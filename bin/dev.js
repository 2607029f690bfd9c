#!/usr/bin/env node
// Development entry: recompiles src/ (tsc, incremental) and runs the fresh build, so edits show without `npm run build`.
// (oclif's own TypeScript loading needs ts-node or a tsx version it can register; a compile step is simpler.)
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(
  process.execPath,
  [tsc, '-p', root, '--incremental', '--tsBuildInfoFile', join(root, 'dist/.tsbuildinfo')],
  { stdio: 'inherit' },
);
await import('./run.js');
