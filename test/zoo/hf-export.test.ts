/**
 * `tsm zoo export ID --format hf` (issue 26, item 4): a folder one can push as a Hugging Face model repo. The README's
 * front matter parses as YAML and has the model-index shape the Hub documents; config.json and
 * preprocessor_config.json say what the entry says; the ONNX files are the zoo's; and tsm/runtime reads the folder
 * as a zoo, giving the zoo entry's logits.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadZoo } from '../../src/zoo/index.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { fileTempDir } from '../helpers/tmp.js';

const ID = 'tsm-mobilenetv2-jester-mini';
const tmp = fileTempDir('tsm-hf-');
const out = join(tmp, 'repo');
const zoo = loadZoo(join(ROOT, 'zoo.json'));
const entry = zoo.models.find((m) => m.id === ID)!;
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const { loadClassifier } = (await import(
  join(ROOT, 'dist/runtime/node.js')
)) as typeof import('../../src/runtime/node.js');

describe('zoo export --format hf', () => {
  it('writes README.md, config.json, preprocessor_config.json and the ONNX files (int8 sibling: quantized)', () => {
    const r = runCli(['zoo', 'export', ID, '--format', 'hf', '--out', out, '--zoo', join(ROOT, 'zoo.json'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ id: ID, version: entry.version, out });
    expect(readdirSync(out, { recursive: true, encoding: 'utf8' }).sort()).toEqual([
      'README.md',
      'config.json',
      'onnx',
      'onnx/model.onnx',
      'onnx/model_quantized.onnx',
      'preprocessor_config.json',
    ]);
    expect(sha(join(out, 'onnx/model.onnx'))).toBe(entry.artifacts[0].sha256);
    const int8 = zoo.models.find((m) => m.id === `${ID}-int8`)!;
    expect(sha(join(out, 'onnx/model_quantized.onnx'))).toBe(int8.artifacts[0].sha256);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it("the README's front matter parses, with the Hub's model-index shape and the verified metrics", () => {
    const text = readFileSync(join(out, 'README.md'), 'utf8');
    const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
    expect(m).not.toBeNull();
    const meta = parse(m![1]);
    expect(meta).toMatchObject({
      license: 'mit',
      library_name: 'onnx',
      pipeline_tag: 'video-classification',
      datasets: [entry.dataset],
    });
    expect(typeof meta.base_model).toBe('string');
    expect(meta.tags).toEqual(expect.arrayContaining(['video-classification', 'tsm', 'mobilenetv2']));
    expect(new Set(meta.tags).size).toBe(meta.tags.length);
    const [model] = meta['model-index'];
    expect(model.name).toBe(ID);
    for (const result of model.results) {
      expect(result.task.type).toBe('video-classification');
      expect(typeof result.dataset.name).toBe('string');
      expect(typeof result.dataset.type).toBe('string');
      for (const metric of result.metrics) {
        expect(typeof metric.type).toBe('string');
        expect(typeof metric.value).toBe('number');
      }
    }
    const accuracy = model.results[0].metrics.find((x: { type: string }) => x.type === 'accuracy');
    expect(accuracy.value).toBe(entry.verification!.top1);
    expect(accuracy.name).toContain('8 segments, uniform sampling, 1 crop(s), short side 256 → 224');
    expect(text.slice(m![0].length)).toContain(`# ${entry.title}`);
  });

  it('config.json and preprocessor_config.json say what the entry says', () => {
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.id2label['16']).toBe(entry.labels![16]);
    expect(config.label2id[entry.labels![16]]).toBe(16);
    expect(Object.keys(config.id2label)).toHaveLength(27);
    expect(config).toMatchObject({ num_frames: 8, image_size: 224, tsm: { id: ID, arch: entry.arch } });
    const pre = JSON.parse(readFileSync(join(out, 'preprocessor_config.json'), 'utf8'));
    expect(pre).toMatchObject({
      size: { shortest_edge: 256 },
      crop_size: { height: 224, width: 224 },
      image_mean: entry.preprocessing.mean,
      image_std: entry.preprocessing.std,
      resample: 2,
    });
  });

  it("loadClassifier({ zoo: DIR }) reads the folder: the zoo entry's logits; a tampered file refused", async () => {
    const clip = join(ROOT, 'fixtures/jester-mini/20bn-jester-v1/100002');
    const fromHf = await loadClassifier({ zoo: out });
    const fromZoo = await loadClassifier({ id: ID, zoo: join(ROOT, 'zoo.json') });
    try {
      expect(fromHf.name).toBe(`${ID}@${entry.version}`);
      const a = await fromHf.classify(clip);
      const b = await fromZoo.classify(clip);
      expect(Array.from(a.logits)).toEqual(Array.from(b.logits));
      expect(a.top[0].label).toBe(b.top[0].label);
    } finally {
      await fromHf.close();
      await fromZoo.close();
    }
    const bad = join(tmp, 'bad');
    mkdirSync(join(bad, 'onnx'), { recursive: true });
    writeFileSync(join(bad, 'config.json'), readFileSync(join(out, 'config.json')));
    const bytes = readFileSync(join(out, 'onnx/model.onnx'));
    bytes[bytes.length - 50] ^= 1;
    writeFileSync(join(bad, 'onnx/model.onnx'), bytes);
    await expect(loadClassifier({ zoo: bad })).rejects.toMatchObject({ code: 'E_CHECKSUM' });
  });

  it('refuses a non-empty --out and leaves it as it was', () => {
    const r = runCli(['zoo', 'export', ID, '--out', out, '--zoo', join(ROOT, 'zoo.json'), '--json']);
    expect(r.status).toBe(7);
    expect(r.json().error).toMatchObject({ code: 'E_OUT_NOT_EMPTY' });
    expect(existsSync(join(out, 'onnx/model.onnx'))).toBe(true);
  });
});
