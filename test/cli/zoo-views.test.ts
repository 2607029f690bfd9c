import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const zoo = JSON.parse(readFileSync(join(ROOT, 'zoo.json'), 'utf8'));

describe('zoo views for people', () => {
  it(
    'zoo show prints a summary (title, status, arch, metrics with protocol, artifacts with size and sha256, ' +
      'source); --json is the raw entry',
    () => {
      const id = 'tsm-mobilenetv2-jester-mini';
      const entry = zoo.models.find((m: { id: string }) => m.id === id);
      const text = runCli(['zoo', 'show', id]);
      expect(text.status, text.stderr).toBe(0);
      const lines = text.stdout.trim().split('\n');
      expect(lines[0]).toBe(`${id}@${entry.version} — ${entry.title}`);
      expect(lines.length).toBeLessThan(25);
      const row = (key: string) => lines.find((l) => l.trimStart().startsWith(`${key} `)) ?? '';
      expect(row('status')).toMatch(/published$/);
      expect(row('arch')).toContain(
        'TSM-mobilenetv2 ×0.5: 8 segments, shift blockres (official) 1/8 on 10 blocks, 27 classes',
      );
      expect(row('verified')).toContain(`top-1 ${(entry.verification.top1 * 100).toFixed(2)} %`);
      expect(row('verified')).toContain('8 segments, uniform, 1 crop(s)');
      expect(row('artifact')).toContain(entry.artifacts[0].sha256);
      expect(row('artifact')).toMatch(/2\.9 MB/);
      expect(row('source')).toContain(entry.source.fileName);
      const json = runCli(['zoo', 'show', id, '--json']);
      expect(json.json()).toEqual(entry);
    },
  );

  it("zoo show names the family features and says a Flow entry's normalisation once, not ten times", () => {
    const text = runCli(['zoo', 'show', 'tsm-resnet50-kinetics-8f-flow']).stdout;
    expect(text).toMatch(
      /^ {2}arch {8}TSM-resnet50: 8 segments, shift blockres 1\/8, 400 classes, 224 px, Flow input$/m,
    );
    expect(text).toContain('5 x/y flow pairs a segment (10 channels), mean 0.5, std 0.226 on every channel, NTCHW');
    expect(runCli(['zoo', 'show', 'tsm-resnet50-kinetics-8f-dense-nl']).stdout).toMatch(/224 px, non-local$/m);
  });

  it('zoo list --all keeps every column aligned however long the names are', () => {
    const r = runCli(['zoo', 'list', '--all']);
    expect(r.status, r.stderr).toBe(0);
    const [zooLine, ...lines] = r.stdout.trimEnd().split('\n');
    expect(zooLine).toBe('zoo: zoo.json (working folder)');
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

  it('zoo show and zoo fetch take npm-style ranges such as ID@^1', () => {
    for (const range of ['^1', '~1.0', '1', '>=1 <2', '1.0.0 - 1.x']) {
      const r = runCli(['zoo', 'show', `tsm-mobilenetv2-jester-mini@${range}`, '--json']);
      expect(r.status, `${range}: ${r.stderr}`).toBe(0);
      expect(r.json()).toMatchObject({ id: 'tsm-mobilenetv2-jester-mini', version: '1.0.0' });
    }
    const fetched = runCli(['zoo', 'fetch', 'tsm-mobilenetv2-jester-mini@^1', '--json']);
    expect(fetched.status, fetched.stderr).toBe(0);
    expect(fetched.json()).toMatchObject({ id: 'tsm-mobilenetv2-jester-mini', version: '1.0.0', from: 'local' });
    expect(runCli(['zoo', 'show', 'tsm-mobilenetv2-jester-mini@^2', '--json']).json().error.code).toBe(
      'E_ZOO_NO_MATCH',
    );
  });

  it('zoo fetch of a source-only entry says what to do next: download the checkpoint, then convert it', () => {
    const entry = zoo.models.find((m: { id: string }) => m.id === 'tsm-resnet50-kinetics-8f');
    const r = runCli(['zoo', 'fetch', 'tsm-resnet50-kinetics-8f']);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      `tsm: tsm-resnet50-kinetics-8f@1.0.0 is source-only: the zoo lists its checkpoint ` +
        `(${entry.source.fileName}), not a converted model`,
    );
    expect(r.stderr).toContain(
      `hint: tsm download tsm-resnet50-kinetics-8f, then tsm convert pretrained/${entry.source.fileName}`,
    );
    const json = runCli(['zoo', 'fetch', 'tsm-resnet50-kinetics-8f', '--json']).json();
    expect(json.error).toMatchObject({
      code: 'E_ZOO_SOURCE_ONLY',
      id: 'tsm-resnet50-kinetics-8f',
      version: '1.0.0',
      next: ['tsm download tsm-resnet50-kinetics-8f', `tsm convert pretrained/${entry.source.fileName}`],
    });
    // no address known: the checkpoint has to be placed by hand
    const manual = runCli(['zoo', 'fetch', 'tsm-resnet50-jester']);
    expect(manual.stderr).toContain(
      'hint: no download address is known: place TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e2.pth in ' +
        'pretrained/ by hand, then tsm convert pretrained/TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e2.pth',
    );
  });
});
