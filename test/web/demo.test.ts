import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED, ROOT } from '../helpers/reference.js';
import { requireTool } from '../helpers/requirements.js';
import { writeY4m } from '../helpers/y4m.js';

/**
 * The browser demo end to end in Debian's Chromium: a fake camera plays a mini Jester clip (as Y4M), the page reads
 * zoo.json, runs the online model with onnxruntime-web (wasm) and must show the clip's gesture.
 */
const CHROMIUM = '/usr/bin/chromium';
// the float online model; its int8 export is refused (onnxruntime-web runs it slower than float32)
const MODEL_IDS = ['tsm-mobilenetv2-jester-online-mini'];
const INT8_ID = 'tsm-mobilenetv2-jester-online-mini-int8';
const CLIP = { dir: 'fixtures/jester-mini/20bn-jester-v1/100001', gesture: 'Swiping Left' };
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = normalize(join(ROOT, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(ROOT) || !existsSync(path) || statSync(path).isDirectory()) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
    res.end(readFileSync(path));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const haveChromium = requireTool('Chromium (/usr/bin/chromium)', existsSync(CHROMIUM), 'apt-get install -y chromium');

describe.runIf(haveChromium)('web demo in Chromium with a fake camera', () => {
  it.each(MODEL_IDS)(`%s shows "${CLIP.gesture}" for a looping ${CLIP.gesture} clip`, async (modelId) => {
    mkdirSync(GENERATED, { recursive: true });
    const y4m = join(GENERATED, 'clip.y4m');
    await writeY4m(join(ROOT, CLIP.dir), y4m, 12);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${y4m}`,
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
      await page.goto(`${base}/web/index.html?model=${modelId}`);
      await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.error, null, {
        timeout: 60_000,
      });
      expect(await page.evaluate(() => document.body.dataset.error ?? null)).toBeNull();
      // frames are scaled as the entry declares (scaleShortSideOfEntry: 256 for its 224 crop, upstream's 224·256 //
      // 224)
      expect(await page.evaluate(() => document.body.dataset.scaleShortSide)).toBe('256');
      // The page shows the clip's gesture (the label lives in #gesture and in body[data-gesture])…
      await page.waitForFunction(
        (g) => document.body.dataset.gesture === g && document.getElementById('gesture')?.textContent === g,
        CLIP.gesture,
        { timeout: 60_000 },
      );
      await page.screenshot({ path: join(GENERATED, `web-demo-${modelId}.png`) });
      expect(await page.textContent('#fps')).toMatch(/model fps/);
      // fed as the zoo entry declares (stride 4 of a 12 fps source: a frame every 333 ms, window 4), read by the page
      expect(await page.textContent('#model')).toBe(
        `${modelId}@1.1.0 (TSM-mobilenetv2-online), a frame every 333 ms, window 4`,
      );
      // …and not by luck: over ~4 loops of the clip it is among the two labels shown most. (Not "the most": the page
      // works in real time, so a loaded CI machine stretches the frame spacing the model was trained on.)
      const seen = new Map<string, number>();
      for (let i = 0; i < 40; i++) {
        await page.waitForTimeout(300);
        const g = (await page.evaluate(() => document.body.dataset.gesture)) ?? '';
        seen.set(g, (seen.get(g) ?? 0) + 1);
      }
      const ranked = [...seen.entries()].sort((a, b) => b[1] - a[1]);
      expect(
        ranked.slice(0, 2).map(([g]) => g),
        JSON.stringify(ranked),
      ).toContain(CLIP.gesture);
    } finally {
      await browser.close();
    }
  });

  it(`does not offer the int8 export (${INT8_ID}): the page says why, and picks float32 by itself`, async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/web/index.html?model=${INT8_ID}`);
      await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.error, null, {
        timeout: 60_000,
      });
      expect(await page.evaluate(() => document.body.dataset.error ?? null)).toMatch(
        new RegExp(
          `${INT8_ID} computes in int8, which this demo does not offer: onnxruntime-web runs it slower than float32`,
        ),
      );
      expect(await page.textContent('#status')).toMatch(/^error: .*int8/);
      // without ?model= the page picks a float32 online model (the filter itself: test/zoo/client.test.ts)
      await page.goto(`${base}/web/index.html`);
      // (#model holds a "loading zoo.json…" placeholder until the page has chosen, so wait for the page's verdict)
      await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.error, null, {
        timeout: 60_000,
      });
      expect(await page.evaluate(() => document.body.dataset.error ?? null)).toBeNull();
      expect(await page.textContent('#model')).toMatch(/^tsm-mobilenetv2-jester-online-mini@1\.1\.0 /);
    } finally {
      await browser.close();
    }
  });
});
