#!/usr/bin/env node
// npm run lint: no line of the sources and tests is longer than 120 characters (the formatter's width; it does not
// break comments or string literals, so this checks them). Generated files (src/wasm/*.wasm.ts) are left out.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LIMIT = 120;
const files = execFileSync('git', ['ls-files', 'src/*.ts', 'test/*.ts', 'bench/*.mjs', 'tools/*.mjs'], {
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => f && !f.endsWith('.wasm.ts'));
const long = [];
for (const file of files) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const n = [...line].length;
      if (n > LIMIT) long.push(`${file}:${i + 1}: ${n} characters`);
    });
}
if (long.length) {
  process.stderr.write(`${long.length} line(s) longer than ${LIMIT} characters:\n${long.join('\n')}\n`);
  process.exit(1);
}
