import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../src/video/ffmpeg.js';
import { runCliAsync } from '../helpers/cli.js';
import { GENERATED, ROOT } from '../helpers/reference.js';
import { requireTool } from '../helpers/requirements.js';
import { fileTempDir } from '../helpers/tmp.js';
import { CHROMIUM, QUIET_CHROMIUM, serveDemo } from './server.js';

/**
 * The demo in sample-clip mode in Debian's Chromium (no camera): the bundled clip classified whole by the offline
 * model and by the online one, on wasm and on WebGPU (SwiftShader's adapter, `--enable-unsafe-webgpu`), against
 * `tsm predict` and tsm/runtime in Node on the same frames; an fp16-compute export on WebGPU; `?clip=` and the file
 * picker. One browser for the file.
 */
const SAMPLE = join(ROOT, 'web/sample-clip');
const FIXTURE_CLIP = join(ROOT, 'fixtures/jester-mini/20bn-jester-v1/100001');
const OTHER_CLIP = { path: 'fixtures/jester-mini/20bn-jester-v1/100002', id: '100002' };
const OFFLINE = 'tsm-mobilenetv2-jester-mini';
const ONLINE = 'tsm-mobilenetv2-jester-online-mini';
const CHECKPOINT = 'fixtures/models/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.pth';
const FP16_ID = 'tsm-mobilenetv2-jester-mini-fp16';
/** fp16 compute (on wasm: SwiftShader has no shader-f16) against the fp32 reference: measured 4.5e-3 (docs/zoo.md) */
const FP16_TOLERANCE = 0.02;

const temp = fileTempDir('tsm-web-');
const served = serveDemo(ROOT, { '/temp/': temp });
const haveChromium = requireTool('Chromium (/usr/bin/chromium)', existsSync(CHROMIUM), 'apt-get install -y chromium');

interface PageResult {
  done: boolean;
  error?: string;
  ep: string;
  adapter: { vendor: string; architecture: string } | null;
  source: string;
  models: { offline: string | null; online: string | null };
  offline?: { model: string; logits: number[]; top: { label: string }[]; sampled: number[]; ms: number };
  online?: { model: string; logits: number[]; lastGesture?: string; ms: number };
  file?: { name: string; frames: number; logits: number[]; top: { label: string }[] };
}

const maxDelta = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
};
const argmax = (a: ArrayLike<number>) => Array.from(a).indexOf(Math.max(...Array.from(a)));

/** `tsm predict --json` with every class: the logits by class index. */
async function predictLogits(model: string, input: string): Promise<Float32Array> {
  const run = await runCliAsync(['predict', model, input, '--top', '27', '--json']);
  expect(run.status, run.stderr).toBe(0);
  const logits = new Float32Array(27);
  for (const t of run.json().top as { index: number; logit: number }[]) logits[t.index] = t.logit;
  return logits;
}

/** ffmpeg (as tsm finds it) writing a file; its exit code. */
function runFfmpeg(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn(resolveFfmpeg(), ['-loglevel', 'error', '-y', ...args], { stdio: 'ignore' });
    p.on('close', resolve);
    p.on('error', () => resolve(null));
  });
}

async function openDemo(page: Page, query: string, timeout = 240_000): Promise<PageResult> {
  await page.goto(`${served.base}/web/index.html${query}`);
  await page.waitForFunction(() => (window as any).__tsmResult?.done || (window as any).__tsmResult?.error, null, {
    timeout,
  });
  return page.evaluate(() => (window as any).__tsmResult);
}

describe.runIf(haveChromium)('web demo in sample-clip mode (Chromium, no camera)', () => {
  let browser: Browser;
  let page: Page;
  const reference: Record<string, Float32Array> = {};

  beforeAll(async () => {
    // the fp16-compute export of the same checkpoint, in a zoo of its own (a copy of the fp32 entry)
    const converted = await runCliAsync(['convert', CHECKPOINT, '--fp16-compute', '-o', join(temp, 'model.onnx')]);
    expect(converted.status, converted.stderr).toBe(0);
    const zoo = JSON.parse(readFileSync(join(ROOT, 'zoo.json'), 'utf8'));
    const entry = zoo.models.find((m: { id: string }) => m.id === OFFLINE);
    const bytes = readFileSync(join(temp, 'model.onnx'));
    const { url: _url, ...artifact } = entry.artifacts[0];
    const fp16 = {
      ...entry,
      id: FP16_ID,
      artifacts: [
        {
          ...artifact,
          path: 'model.onnx',
          bytes: bytes.length,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          computeDtype: 'float16',
        },
      ],
    };
    writeFileSync(join(temp, 'zoo.json'), JSON.stringify({ ...zoo, models: [fp16] }));
    // another clip as a frame sequence for ?clip= (frame URLs relative to the clip.json)
    const frames = readdirSync(join(ROOT, OTHER_CLIP.path))
      .filter((f) => f.endsWith('.jpg'))
      .sort();
    writeFileSync(
      join(temp, 'clip.json'),
      JSON.stringify({ fps: 12, frames: frames.map((f) => `/${OTHER_CLIP.path}/${f}`) }),
    );
    reference.offline = await predictLogits(OFFLINE, SAMPLE);
    reference.other = await predictLogits(OFFLINE, OTHER_CLIP.path);
    const { loadClassifier } = (await import(
      join(ROOT, 'dist/runtime/node.js')
    )) as typeof import('../../src/runtime/node.js');
    const online = await loadClassifier({ id: ONLINE, zoo: join(ROOT, 'zoo.json') });
    reference.online = (await online.classify(SAMPLE)).logits;
    await online.close();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...QUIET_CHROMIUM, '--enable-unsafe-webgpu'] });
    page = await browser.newPage({ viewport: { width: 1000, height: 560 } });
  }, 120_000);
  afterAll(() => browser?.close());

  it('the bundled sample clip is the fixture clip the CLI references use, frame for frame', () => {
    const files = readdirSync(FIXTURE_CLIP).sort();
    expect(
      readdirSync(SAMPLE)
        .filter((f) => f.endsWith('.jpg'))
        .sort(),
    ).toEqual(files);
    for (const f of files) expect(readFileSync(join(SAMPLE, f)).equals(readFileSync(join(FIXTURE_CLIP, f)))).toBe(true);
    // and the references tell clips apart far beyond the tolerances below
    expect(maxDelta(reference.offline, reference.other)).toBeGreaterThan(0.5);
  });

  it('wasm: the offline logits equal tsm predict (≤ 1e-4), the online ones tsm/runtime in Node (≤ 1e-4)', async () => {
    const r = await openDemo(page, '?ep=wasm');
    expect(r.error).toBeUndefined();
    expect([r.ep, r.adapter, r.source]).toEqual(['wasm', null, 'sample']);
    // with no ?offline= / ?online=, the page picks the float32 published models
    expect(r.models).toEqual({ offline: `${OFFLINE}@1.0.0`, online: `${ONLINE}@1.1.0` });
    expect(r.offline?.sampled).toEqual([2, 7, 12, 17, 21, 26, 31, 36]);
    const offline = maxDelta(r.offline?.logits ?? [], reference.offline);
    const online = maxDelta(r.online?.logits ?? [], reference.online);
    console.log(
      `wasm: offline max |Δ| ${offline.toExponential(2)} (${r.offline?.ms.toFixed(0)} ms a clip), ` +
        `online ${online.toExponential(2)}`,
    );
    expect(offline).toBeLessThanOrEqual(1e-4);
    expect(online).toBeLessThanOrEqual(1e-4);
    expect(r.online?.lastGesture).toBe('Swiping Left');
    expect(await page.textContent('#ep')).toBe('wasm');
    expect(await page.textContent('#top')).toMatch(/^Swiping Left/);
    // the clip then loops through the online model's stream: its gesture and rate on the page
    await page.waitForFunction(() => document.body.dataset.gesture === 'Swiping Left', null, { timeout: 60_000 });
    await page.waitForFunction(() => /model fps/.test(document.getElementById('fps')?.textContent ?? ''));
    mkdirSync(GENERATED, { recursive: true });
    await page.screenshot({ path: join(GENERATED, 'web-demo-sample-clip.png') });
  });

  it('picks WebGPU by itself (SwiftShader adapter shown); its logits are within 1e-3 of tsm predict', async () => {
    const r = await openDemo(page, '?online=none');
    expect(r.error).toBeUndefined();
    expect(r.ep).toBe('webgpu');
    expect(r.adapter).toEqual({ vendor: 'google', architecture: 'swiftshader' });
    expect(await page.textContent('#ep')).toBe('WebGPU (google, swiftshader)');
    const delta = maxDelta(r.offline?.logits ?? [], reference.offline);
    console.log(`webgpu: offline max |Δ| ${delta.toExponential(2)} (${r.offline?.ms.toFixed(0)} ms a clip)`);
    expect(delta).toBeLessThanOrEqual(1e-3);
  }, 300_000);

  it('an --fp16-compute export: refused by name on WebGPU without shader-f16, run on wasm, top-1 equal', async () => {
    const reason = `${FP16_ID} computes in float16, and this WebGPU adapter (google, swiftshader) has no shader-f16`;
    const forced = await openDemo(page, `?ep=webgpu&zoo=/temp/zoo.json&offline=${FP16_ID}&online=none`);
    expect(forced.error).toBe(`?ep=webgpu: ${reason}; ?ep=wasm runs it on the CPU`);
    const r = await openDemo(page, `?zoo=/temp/zoo.json&offline=${FP16_ID}&online=none`);
    expect(r.error).toBeUndefined();
    expect([r.ep, r.models.offline]).toEqual(['wasm', `${FP16_ID}@1.0.0`]);
    expect(await page.textContent('#ep')).toBe(`wasm — ${reason}: wasm runs it`);
    const logits = r.offline?.logits ?? [];
    const delta = maxDelta(logits, reference.offline);
    console.log(
      `fp16 compute (wasm): max |Δ| ${delta.toExponential(2)} to fp32 (${r.offline?.ms.toFixed(0)} ms a clip)`,
    );
    expect(argmax(logits)).toBe(argmax(reference.offline));
    expect(delta).toBeLessThanOrEqual(FP16_TOLERANCE);
    expect(delta, 'fp16 compute that equals fp32 exactly did not compute in fp16').toBeGreaterThan(0);
  });

  it('?clip= takes another frame sequence: its logits equal tsm predict on that folder', async () => {
    const r = await openDemo(page, '?ep=wasm&online=none&clip=/temp/clip.json');
    expect(r.error).toBeUndefined();
    expect(r.source).toBe('clip');
    expect(maxDelta(r.offline?.logits ?? [], reference.other)).toBeLessThanOrEqual(1e-4);
  });

  it('the file picker classifies a video the browser decodes (a WebM of the sample clip)', async () => {
    const video = join(temp, 'sample.webm');
    const encoded = await runFfmpeg([
      '-framerate',
      '12',
      '-i',
      join(SAMPLE, '%05d.jpg'),
      '-c:v',
      'libvpx',
      '-b:v',
      '2M',
      video,
    ]);
    expect(encoded, 'ffmpeg could not write a WebM').toBe(0);
    await openDemo(page, '?ep=wasm&online=none');
    await page.setInputFiles('#picker', video);
    await page.waitForFunction(() => (window as any).__tsmResult?.file, null, { timeout: 60_000 });
    const r: PageResult = await page.evaluate(() => (window as any).__tsmResult);
    expect(r.file?.name).toBe('sample.webm');
    expect(r.file?.frames).toBe(39);
    // decoded by the browser's VP8 decoder from a lossy re-encode: the class, not the logits, must agree
    expect(r.file?.top[0].label).toBe('Swiping Left');
    console.log(
      `file picker: max |Δ| ${maxDelta(r.file?.logits ?? [], reference.offline).toFixed(3)} against the JPEGs`,
    );
  });

  it('says what is wrong with an ?ep= it does not know', async () => {
    const r = await openDemo(page, '?ep=cuda');
    expect(r.error).toBe('?ep=cuda: expected wasm or webgpu');
    expect(await page.textContent('#status')).toBe('error: ?ep=cuda: expected wasm or webgpu');
  });
});
