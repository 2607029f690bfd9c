/**
 * tsm/runtime stays an app entry: its import graph (the built dist/, as an app loads it) reaches no CLI code, and
 * its browser build no `node:` module or Node built-in, so a bundler takes it as it is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;

/** Every module file the entry reaches (relative imports followed), and the bare specifiers they name. */
function importGraph(entry: string): { files: string[]; bare: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else bare.add(spec);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => relative(join(ROOT, 'dist'), f)), bare };
}

const packageName = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');
const exportsOf = () => JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).exports['./runtime'];

describe('tsm/runtime import graph (dist)', () => {
  it('the package exports ./runtime with types, a node build and a browser build that exist', () => {
    const e = exportsOf();
    for (const key of ['types', 'node', 'default']) expect(existsSync(join(ROOT, e[key])), key).toBe(true);
  });

  for (const condition of ['node', 'default'] as const) {
    it(`the ${condition} build reaches no CLI module (cli/, commands/, oclif)`, () => {
      const { files, bare } = importGraph(join(ROOT, exportsOf()[condition]));
      expect(files.length).toBeGreaterThan(5);
      expect(files.filter((f) => /^(cli|commands)\//.test(f) || f === 'index.js')).toEqual([]);
      expect([...bare].filter((s) => /oclif|cli-progress/.test(s))).toEqual([]);
    });
  }

  it('the browser build imports no node: module or Node built-in, and only browser packages', () => {
    const { files, bare } = importGraph(join(ROOT, exportsOf().default));
    const builtins = new Set(builtinModules);
    expect([...bare].filter((s) => s.startsWith('node:') || builtins.has(packageName(s)))).toEqual([]);
    expect([...new Set([...bare].map(packageName))].sort()).toEqual(['onnx-proto', 'onnxruntime-web']);
    // the Node-only pieces stay out: file decoding, ffmpeg, sharp, the cache
    expect(
      files.filter((f) => /frames\/(decode|source|transforms)|video\/|zoo\/(cache|download|index)/.test(f)),
    ).toEqual([]);
  });

  it('the walk sees what it should: the node build does reach node: modules and onnxruntime-node', () => {
    const { bare } = importGraph(join(ROOT, exportsOf().node));
    expect(bare.has('node:fs')).toBe(true);
    expect(bare.has('onnxruntime-node')).toBe(true);
  });
});
