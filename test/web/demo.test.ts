import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED, ROOT } from '../helpers/reference.js';
import { requireTool } from '../helpers/requirements.js';
import { writeY4m } from '../helpers/y4m.js';
import { CHROMIUM, QUIET_CHROMIUM, serveDemo } from './server.js';

/**
 * The browser demo with a webcam, in Debian's Chromium: a fake camera plays a mini Jester clip (as Y4M), the page
 * takes it over the bundled sample clip, streams it through the online model (tsm/runtime's stream(), onnxruntime-web
 * on wasm: this browser has no WebGPU adapter, as it runs without --enable-unsafe-webgpu) and must show the clip's
 * gesture. One browser for the file.
 */
const MODEL_ID = 'tsm-mobilenetv2-jester-online-mini';
const INT8_ID = 'tsm-mobilenetv2-jester-online-mini-int8';
const CLIP = { dir: 'fixtures/jester-mini/20bn-jester-v1/100001', gesture: 'Swiping Left' };
const served = serveDemo(ROOT);
const haveChromium = requireTool('Chromium (/usr/bin/chromium)', existsSync(CHROMIUM), 'apt-get install -y chromium');

const settled = (page: Page) =>
  page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.error, null, {
    timeout: 60_000,
  });

describe.runIf(haveChromium)('web demo in Chromium with a fake camera', () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(GENERATED, { recursive: true });
    const y4m = join(GENERATED, 'clip.y4m');
    await writeY4m(join(ROOT, CLIP.dir), y4m, 12);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        ...QUIET_CHROMIUM,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${y4m}`,
      ],
    });
  });
  afterAll(() => browser?.close());

  it(`${MODEL_ID} shows "${CLIP.gesture}" for a looping ${CLIP.gesture} webcam clip, on wasm`, async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
    await page.goto(`${served.base}/web/index.html?online=${MODEL_ID}&offline=none`);
    await settled(page);
    expect(await page.evaluate(() => document.body.dataset.error ?? null)).toBeNull();
    // the webcam, not the sample clip; no WebGPU adapter here, so wasm
    expect(await page.textContent('#source')).toBe('webcam');
    expect(await page.textContent('#ep')).toBe('wasm');
    // frames are scaled as the model declares (256 for its 224 crop, upstream's 224·256 // 224), by the runtime
    expect(await page.evaluate(() => document.body.dataset.scaleShortSide)).toBe('256');
    // The page shows the clip's gesture (the label lives in #gesture and in body[data-gesture])…
    await page.waitForFunction(
      (g) => document.body.dataset.gesture === g && document.getElementById('gesture')?.textContent === g,
      CLIP.gesture,
      { timeout: 60_000 },
    );
    await page.screenshot({ path: join(GENERATED, `web-demo-${MODEL_ID}.png`) });
    // the rate needs two model steps; an idle machine can show the gesture after the first
    await page.waitForFunction(() => /model fps/.test(document.getElementById('fps')?.textContent ?? ''), null, {
      timeout: 30_000,
    });
    // fed as the model declares (stride 4 of a 12 fps source: a frame every 333 ms, window 4)
    expect(await page.textContent('#model')).toBe(
      `${MODEL_ID}@1.1.0 (TSM-mobilenetv2-online); a frame every 333 ms, window 4`,
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
    await page.close();
  });

  it(`does not offer the int8 export (${INT8_ID}): the page says why, and picks float32 by itself`, async () => {
    const page = await browser.newPage();
    await page.goto(`${served.base}/web/index.html?online=${INT8_ID}&offline=none`);
    await settled(page);
    expect(await page.evaluate(() => document.body.dataset.error ?? null)).toMatch(
      new RegExp(
        `${INT8_ID} computes in int8, which this demo does not offer: onnxruntime-web runs it slower than float32`,
      ),
    );
    expect(await page.textContent('#status')).toMatch(/^error: .*int8/);
    // without ?online= the page picks a float32 online model (the filter itself: test/zoo/client.test.ts)
    await page.goto(`${served.base}/web/index.html?offline=none`);
    await settled(page);
    expect(await page.evaluate(() => document.body.dataset.error ?? null)).toBeNull();
    expect(await page.textContent('#model')).toMatch(/^tsm-mobilenetv2-jester-online-mini@1\.1\.0 /);
    await page.close();
  });
});
