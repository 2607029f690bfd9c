import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const zoo = JSON.parse(readFileSync(join(ROOT, 'zoo.json'), 'utf8'));

describe('zoo views for people', () => {
  it('zoo show prints a summary (title, status, arch, metrics with protocol, artifacts with size and sha256, source); --json is the raw entry', () => {
    const id = 'tsm-mobilenetv2-jester-mini';
    const entry = zoo.models.find((m: { id: string }) => m.id === id);
    const text = runCli(['zoo', 'show', id]);
    expect(text.status, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toBe(`${id}@${entry.version} — ${entry.title}`);
    expect(lines.length).toBeLessThan(25);
    const row = (key: string) => lines.find((l) => l.trimStart().startsWith(`${key} `)) ?? '';
    expect(row('status')).toMatch(/published$/);
    expect(row('arch')).toContain('TSM-mobilenetv2 ×0.5: 8 segments, shift blockres (official) 1/8 on 10 blocks, 27 classes');
    expect(row('verified')).toContain(`top-1 ${(entry.verification.top1 * 100).toFixed(2)} %`);
    expect(row('verified')).toContain('8 segments, uniform, 1 crop(s)');
    expect(row('artifact')).toContain(entry.artifacts[0].sha256);
    expect(row('artifact')).toMatch(/2\.9 MB/);
    expect(row('source')).toContain(entry.source.fileName);
    const json = runCli(['zoo', 'show', id, '--json']);
    expect(json.json()).toEqual(entry);
  });

  it('zoo show names the family features and says a Flow entry\'s normalisation once, not ten times', () => {
    const text = runCli(['zoo', 'show', 'tsm-resnet50-kinetics-8f-flow']).stdout;
    expect(text).toMatch(/^ {2}arch {8}TSM-resnet50: 8 segments, shift blockres 1\/8, 400 classes, 224 px, Flow input$/m);
    expect(text).toContain('5 x/y flow pairs a segment (10 channels), mean 0.5, std 0.226 on every channel, NTCHW');
    expect(runCli(['zoo', 'show', 'tsm-resnet50-kinetics-8f-dense-nl']).stdout).toMatch(/224 px, non-local$/m);
  });

  it('zoo list --all keeps every column aligned however long the names are', () => {
    const r = runCli(['zoo', 'list', '--all']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(zoo.models.length + 1);
    const header = lines[0];
    for (const column of ['status', 'arch', 'dataset', 'top-1']) {
      const at = header.indexOf(column);
      for (const line of lines.slice(1)) {
        expect(line[at - 1], `"${column}" in: ${line}`).toBe(' ');
        expect(line[at], `"${column}" in: ${line}`).not.toBe(' ');
      }
    }
  });

  it('zoo list with nothing matching fails and says what was looked for', () => {
    const r = runCli(['zoo', 'list', '--dataset', 'kinetics-9000', '--json']);
    expect(r.status).toBe(2);
    expect(r.json().error).toMatchObject({ code: 'E_ZOO_NO_MATCH', dataset: 'kinetics-9000' });
    expect(r.json().error.message).toMatch(/none of its \d+ entries matches status published, dataset kinetics-9000/);
  });
});
