import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { ensureVariants, maxAbsDiff, readF32, VARIANTS_DIR } from '../helpers/reference.js';
import { testTempDir } from '../helpers/tmp.js';

const variants = ensureVariants();
const tmp = mkdtempSync(join(tmpdir(), 'tsm-convert-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('tsm convert', () => {
  it('--json reports output, arch, inputs and outputs; the model carries labels and preprocessing', () => {
    const v = variants.mbv2_official;
    const output = join(tmp, 'mbv2.onnx');
    const r = runCli(['convert', join(VARIANTS_DIR, v.file), '-o', output, '--json', '--softmax']);
    expect(r.status, r.stderr).toBe(0);
    const res = r.json();
    expect(res).toMatchObject({
      output,
      arch: {
        name: 'TSM-mobilenetv2',
        segments: 8,
        shiftDiv: 8,
        shiftPlace: 'blockres',
        shiftLayout: 'official',
        shiftedBlocks: 10,
        numClasses: 27,
      },
      inputs: [{ name: 'video', shape: ['N', 8, 3, 224, 224] }],
      outputs: [
        { name: 'logits', shape: ['N', 27] },
        { name: 'probabilities', shape: ['N', 27] },
      ],
    });
    expect(res.bytes).toBe(readFileSync(output).byteLength);
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(output));
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(meta['tsm.labels'])).toHaveLength(27);
    expect(JSON.parse(meta['tsm.labels'])[16]).toBe('Swiping Left'); // jester in the file name ⇒ Jester labels
    expect(JSON.parse(meta['tsm.preprocessing'])).toMatchObject({
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      cropSize: 224,
      scaleShortSide: 256,
      segments: 8,
    });
    expect(JSON.parse(meta['tsm.source'])).toMatchObject({
      format: 'legacy',
      file: 'TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e25.pth',
    });
    expect(meta['tsm.source']).toMatch(/"sha256":"[0-9a-f]{64}"/);
    expect(Number(model.opsetImport[0].version)).toBe(13); // int64 fields decode as Long
  });

  it('--opset and --labels are honoured; bad values are usage errors', () => {
    const v = variants.tsn_mbv2;
    const labels = join(tmp, 'labels.txt');
    require('node:fs').writeFileSync(labels, Array.from({ length: 27 }, (_, i) => `gesture ${i}`).join('\n'));
    const ok = runCli([
      'convert',
      join(VARIANTS_DIR, v.file),
      '-o',
      join(tmp, 'o11.onnx'),
      '--opset',
      '11',
      '--labels',
      labels,
      '--json',
    ]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.json().labels[3]).toBe('gesture 3');
    expect(ok.json().opset).toBe(11);
    const badOpset = runCli([
      'convert',
      join(VARIANTS_DIR, v.file),
      '-o',
      join(tmp, 'o9.onnx'),
      '--opset',
      '9',
      '--json',
    ]);
    expect(badOpset.status).toBe(2);
    expect(badOpset.json().error.code).toBe('E_BAD_FLAG');
    require('node:fs').writeFileSync(labels, 'a\nb\n');
    const badLabels = runCli([
      'convert',
      join(VARIANTS_DIR, v.file),
      '-o',
      join(tmp, 'x.onnx'),
      '--labels',
      labels,
      '--json',
    ]);
    expect(badLabels.json().error).toMatchObject({ code: 'E_LABELS_MISMATCH', expected: 27, found: 2 });
  });

  it('every opset from 10 to 17 loads in onnxruntime and computes the same logits', async () => {
    const ort = await import('onnxruntime-node');
    const { convertCheckpoint } = await import('../../src/convert/convert.js');
    const { readF32, maxAbsDiff } = await import('../helpers/reference.js');
    const v = variants.mbv2_width05;
    const clip = readF32(join(VARIANTS_DIR, 'mbv2_width05/input.f32'));
    const ref = readF32(join(VARIANTS_DIR, 'mbv2_width05/logits.f32'));
    for (let opset = 10; opset <= 17; opset++) {
      const r = convertCheckpoint({
        input: join(VARIANTS_DIR, v.file),
        output: join(tmp, `opset${opset}.onnx`),
        opset,
        overrides: { size: v.size },
      });
      const session = await ort.InferenceSession.create(r.output);
      const out = await session.run({ video: new ort.Tensor('float32', clip, v.inputShape) });
      expect({ opset, delta: maxAbsDiff(out.logits.data as Float32Array, ref) < 1e-4 }).toEqual({ opset, delta: true });
    }
  });

  it('flags that contradict the weights are refused, naming both sides', () => {
    const v = variants.r18;
    const r = runCli([
      'convert',
      join(VARIANTS_DIR, v.file),
      '-o',
      join(tmp, 'r.onnx'),
      '--arch',
      'resnet50',
      '--json',
    ]);
    expect(r.status).toBe(2);
    expect(r.json().error).toMatchObject({ code: 'E_ARCH_CONFLICT', expected: 'resnet50', found: 'resnet18' });
    const place = runCli([
      'convert',
      join(VARIANTS_DIR, v.file),
      '-o',
      join(tmp, 'r.onnx'),
      '--shift-place',
      'block',
      '--json',
    ]);
    expect(place.json().error).toMatchObject({ code: 'E_ARCH_CONFLICT', expected: 'block', found: 'blockres' });
  });

  it('refuses a checkpoint with tensors the architecture has no place for, and writes nothing', () => {
    const dir = join(VARIANTS_DIR, 'r18_unused');
    const file = readdirSync(dir).find((f) => f.endsWith('.pth'))!;
    const output = join(tmp, 'extra.onnx');
    const r = runCli(['convert', join(dir, file), '-o', output, '--json']);
    expect(r.status).toBe(5);
    expect(r.json().error).toMatchObject({ code: 'E_UNUSED_TENSORS', keys: ['base_model.layer2.0.adapter.weight'] });
    expect(readdirSync(tmp).filter((f) => f.startsWith('extra'))).toEqual([]);
  });

  it('a non-local key is refused by the feature it belongs to, not as a stray tensor', () => {
    const dir = join(VARIANTS_DIR, 'r18_extra');
    const file = readdirSync(dir).find((f) => f.endsWith('.pth'))!;
    const r = runCli(['convert', join(dir, file), '-o', join(tmp, 'nl.onnx'), '--json']);
    expect(r.status).toBe(5);
    expect(r.json().error).toMatchObject({ code: 'E_UNSUPPORTED_FEATURE', features: ['non-local'] });
    expect(r.json().error.message).toContain("non-local (key 'base_model.layer2.0.nl.g.weight')");
    const inspect = runCli(['inspect', join(dir, file), '--json']);
    expect(inspect.status).toBe(0);
    expect(inspect.json().archError.code).toBe('E_UNSUPPORTED_FEATURE');
  });

  it('an unknown layout is named with the keys it could not place', () => {
    const r = runCli(['convert', 'fixtures/pth/train_checkpoint_legacy.pth.tar', '-o', join(tmp, 'u.onnx'), '--json']);
    expect(r.status).toBe(5);
    expect(r.json().error.code).toBe('E_UNKNOWN_LAYOUT');
    expect(r.json().error.message).toContain('base_model.conv1.weight');
  });

  it('the same checkpoint converts to byte-identical ONNX', () => {
    const v = variants.mbv2_width05;
    const a = runCli(['convert', join(VARIANTS_DIR, v.file), '-o', join(tmp, 'a.onnx'), '--json']).json();
    const b = runCli(['convert', join(VARIANTS_DIR, v.file), '-o', join(tmp, 'b.onnx'), '--json']).json();
    expect(a.sha256).toBe(b.sha256);
  });

  it('a --segments or --shift-div that contradicts the file name is a warning, on one line', () => {
    const file = 'fixtures/models/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.pth';
    const r = runCli(['convert', file, '-o', join(tmp, 'seg16.onnx'), '--segments', '16', '--shift-div', '4']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        '^tsm: warning: file name says segment8 \\(trained on 8 segments\\) but --segments 16; building for 16, ' +
          'where its accuracy was not measured$',
        'm',
      ),
    );
    expect(r.stderr).toMatch(/^tsm: warning: file name says shift8 .* but --shift-div 4; .*$/m);
    const json = runCli(['convert', file, '-o', join(tmp, 'seg16.onnx'), '--segments', '16', '--json']);
    expect(json.json().warnings).toEqual([expect.stringMatching(/^file name says segment8/)]);
    expect(json.json().arch.segments).toBe(16);
    const agreeing = runCli(['convert', file, '-o', join(tmp, 'seg8.onnx'), '--segments', '8', '--json']);
    expect(agreeing.json().warnings).toEqual([]);
  });

  it("inspect on the online demo's bare state dict points at --online", () => {
    const r = runCli(['inspect', 'fixtures/models/online/mobilenetv2_jester_online_mini.pth.tar', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json().arch.kind).toBe('image');
    expect(r.json().archWarnings).toEqual([
      expect.stringContaining('`tsm convert --online` builds the streaming model'),
    ]);
    const text = runCli(['inspect', 'fixtures/models/online/mobilenetv2_jester_online_mini.pth.tar']);
    expect(text.stdout).toMatch(/^detected {4}mobilenetv2 ×0\.5, one-frame image classifier, 27 classes$/m);
  });

  it('without -o: the output path comes first, before any warning, and says it is next to the checkpoint', () => {
    const dir = testTempDir('tsm-convert-default-');
    const ckpt = join(dir, 'model.pth'); // no TSM name: segments and shift fold are assumed, with warnings
    copyFileSync(join(ROOT, 'fixtures/models/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.pth'), ckpt);
    // stdout and stderr in one stream, in the order a terminal shows them
    const r = spawnSync(
      '/bin/sh',
      ['-c', '"$0" "$1" convert "$2" 2>&1', process.execPath, join(ROOT, 'bin/run.js'), ckpt],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.status, r.stdout).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^${join(dir, 'model.onnx').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}  \\(no -o: next to the checkpoint\\)  ` +
          `[\\d.]+ MB  sha256 [0-9a-f]{16}…$`,
      ),
    );
    expect(
      lines.slice(1).some((l) => l.startsWith('tsm: warning: segments not given')),
      r.stdout,
    ).toBe(true);
    expect(existsSync(join(dir, 'model.onnx'))).toBe(true);
    const withO = runCli(['convert', ckpt, '-o', join(dir, 'chosen.onnx')]);
    expect(withO.stdout.split('\n')[0]).toMatch(/chosen\.onnx {2}[\d.]+ MB {2}sha256 /);
    const help = runCli(['convert', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      'default: next to the checkpoint, its extension replaced: x.pth.tar → x.onnx',
    ); // wrapped at any width
  });

  it('a model whose checkpoint carries no labels gets one warning naming --labels', () => {
    const v = variants.r18; // a Something-Something name: no label list tsm knows
    const r = runCli([
      'convert',
      join(VARIANTS_DIR, v.file),
      '-o',
      join(tmp, 'nolabels.onnx'),
      '--size',
      String(v.size),
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json().labels.slice(0, 2)).toEqual(['class_0', 'class_1']);
    const about = r.json().warnings.filter((w: string) => /--labels/.test(w));
    expect(about).toEqual([
      'no labels in the checkpoint or known for its name: classes are named class_0 … class_26; pass --labels ' +
        'category.txt (one label a line) to name them',
    ]);
    const text = runCli([
      'convert',
      join(VARIANTS_DIR, v.file),
      '-o',
      join(tmp, 'nolabels.onnx'),
      '--size',
      String(v.size),
    ]);
    expect(text.stderr.split('\n').filter((l) => l.includes('--labels'))).toHaveLength(1);
    const labels = join(tmp, 'r18-labels.txt');
    require('node:fs').writeFileSync(labels, Array.from({ length: 27 }, (_, i) => `action ${i}`).join('\n'));
    const given = runCli([
      'convert',
      join(VARIANTS_DIR, v.file),
      '-o',
      join(tmp, 'labelled.onnx'),
      '--size',
      String(v.size),
      '--labels',
      labels,
      '--json',
    ]);
    expect(given.json().warnings.filter((w: string) => /--labels/.test(w))).toEqual([]);
    const jester = runCli([
      'convert',
      join(VARIANTS_DIR, variants.mbv2_width05.file),
      '-o',
      join(tmp, 'jester.onnx'),
      '--json',
    ]);
    expect(jester.json().warnings).toEqual([]); // Jester's labels are known from the name
  });

  it('the summary line names temporal pooling and non-local blocks', () => {
    const tpool = runCli([
      'convert',
      join(VARIANTS_DIR, variants.r50_tpool.file),
      '-o',
      join(tmp, 'tpool.onnx'),
      '--size',
      String(variants.r50_tpool.size),
    ]);
    expect(tpool.status, tpool.stderr).toBe(0);
    expect(tpool.stdout.split('\n')[1]).toMatch(
      new RegExp(
        '^ {2}TSM-resnet50: 8 segments, shift blockres 1\\/8 on \\d+ blocks, temporal pooling \\(layers 2–4 on ' +
          '4 segments\\), 27 classes',
      ),
    );
    const nl = runCli([
      'convert',
      join(VARIANTS_DIR, variants.nl_r50_jester64.file),
      '-o',
      join(tmp, 'nl.onnx'),
      '--size',
      String(variants.nl_r50_jester64.size),
    ]);
    expect(nl.status, nl.stderr).toBe(0);
    expect(nl.stdout.split('\n')[1]).toMatch(
      new RegExp(
        '^ {2}TSM-resnet50: 8 segments, shift blockres 1\\/8 on \\d+ blocks, non-local blocks after layer2\\.\\{0' +
          ',2\\} and layer3\\.\\{0,2,4\\}, 27 classes',
      ),
    );
    const plain = runCli([
      'convert',
      join(VARIANTS_DIR, variants.r18.file),
      '-o',
      join(tmp, 'plain.onnx'),
      '--size',
      String(variants.r18.size),
    ]);
    expect(plain.stdout.split('\n')[1]).not.toMatch(/temporal pooling|non-local/);
  });

  describe(
    "a run saved as upstream main.py saves it: <store_name>/ckpt.best.pth.tar, the folder's name the " + 'config',
    () => {
      const RUN = 'TSM_kinetics_RGB_resnet18_shift8_blockres_avg_segment16_e50';
      const v = variants.r18_t16;
      const inRun = (folder: string) => {
        const dir = join(testTempDir('tsm-run-'), folder);
        mkdirSync(dir);
        copyFileSync(join(VARIANTS_DIR, v.file), join(dir, 'ckpt.best.pth.tar'));
        return join(dir, 'ckpt.best.pth.tar');
      };

      it(
        "a T=16 run exports 16 segments with PyTorch's logits, and inspect and --json say the config came from the " +
          'folder',
        async () => {
          const ckpt = inRun(RUN);
          const output = join(ckpt, '..', 'model.onnx');
          const r = runCli(['convert', ckpt, '-o', output, '--size', String(v.size), '--json']);
          expect(r.status, r.stderr).toBe(0);
          const res = r.json();
          expect(res.arch).toMatchObject({ name: 'TSM-resnet18', segments: 16, shiftDiv: 8, shiftPlace: 'blockres' });
          expect(res.inputs).toEqual([{ name: 'video', shape: ['N', 16, 3, v.size, v.size] }]);
          expect(res.configName).toEqual({ from: 'folder', name: RUN });
          expect(res.warnings.filter((w: string) => !w.includes('--labels'))).toEqual([]); // no "assuming 8"
          const ort = await import('onnxruntime-node');
          const session = await ort.InferenceSession.create(output);
          const clip = readF32(join(VARIANTS_DIR, 'r18_t16/input.f32'));
          const logits = (await session.run({ video: new ort.Tensor('float32', clip, v.inputShape) })).logits
            .data as Float32Array;
          const reference = readF32(join(VARIANTS_DIR, 'r18_t16/logits.f32'));
          expect(maxAbsDiff(logits, reference)).toBeLessThanOrEqual(1e-4);
          // the clip played backwards moves PyTorch's logits: the match above sees the order of all 16 segments
          expect(maxAbsDiff(readF32(join(VARIANTS_DIR, 'r18_t16/reversed.f32')), reference)).toBeGreaterThan(1e-2);
          await session.release();

          const text = runCli(['convert', ckpt, '-o', output, '--size', String(v.size)]);
          expect(text.stdout).toContain(`  config from the folder name ${RUN} (the file name carries none)`);
          const inspect = runCli(['inspect', ckpt, '--json']).json();
          expect(inspect).toMatchObject({ configName: { from: 'folder', name: RUN }, arch: { segments: 16 } });
          expect(runCli(['inspect', ckpt]).stdout).toMatch(
            new RegExp(`^config {6}from the folder name ${RUN} \\(the file name carries none\\)$`, 'm'),
          );
          // inside the run folder, as `cd <store_name> && tsm inspect ckpt.best.pth.tar`
          expect(
            runCli(['inspect', 'ckpt.best.pth.tar', '--json'], { cwd: join(ckpt, '..') }).json().configName,
          ).toEqual({
            from: 'folder',
            name: RUN,
          });
          const named = runCli(['inspect', join(VARIANTS_DIR, v.file), '--json']).json();
          expect(named.configName).toEqual({ from: 'file', name: v.file.split('/').pop() });
        },
      );

      it('a folder name that contradicts the weights is reported as a file name would be', () => {
        const arch = runCli([
          'convert',
          inRun(RUN.replace('resnet18', 'resnet50')),
          '--size',
          String(v.size),
          '--json',
        ]);
        expect(arch.status, arch.stderr).toBe(0);
        expect(arch.json().warnings).toContain(
          'folder name says resnet50 but the weights are a resnet18; using resnet18',
        );
        const place = runCli(['convert', inRun(RUN.replace('blockres', 'block')), '--size', String(v.size), '--json']);
        expect(place.json().warnings).toContain(
          "folder name says shift place 'block' but the weights show 'blockres'; following the weights",
        );
        const flow = runCli(['convert', inRun(RUN.replace('_RGB_', '_Flow_')), '--size', String(v.size), '--json']);
        expect(flow.status).toBe(5);
        expect(flow.json().error).toMatchObject({ code: 'E_MODALITY_CONFLICT', nameModality: 'Flow' });
        expect(flow.json().error.message).toMatch(
          new RegExp(
            "^the folder name says _Flow_ but 'base_model\\.conv1\\.weight' takes 3 input channels \\(RGB\\); r" +
              'ename the folder',
          ),
        );
        const segments = runCli(['convert', inRun(RUN), '--size', String(v.size), '--segments', '8', '--json']);
        expect(segments.json().warnings).toContain(
          'folder name says segment16 (trained on 16 segments) but --segments 8; building for 8, where its ' +
            'accuracy was not measured',
        );
      });
    },
  );
});
