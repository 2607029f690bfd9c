// The live demo: reads zoo.json with tsm's zoo client, loads an online TSM model (tsm convert --online) with
// onnxruntime-web (wasm) after checking its sha256, takes the webcam, and feeds frames the way the model declares
// (its zoo entry's `streaming`: one frame every 1000·stride/fps ms, logits averaged over `window` frames), with the
// shift buffers carried between frames; it shows the gesture and the frame rate.
// Query parameters: ?model=<zoo id>&interval=<ms>&window=<frames>&zoo=<path> (interval and window override the entry)

import {
  computeDtypeOf,
  fetchArtifact,
  fetchZoo,
  normalizeRgba,
  resolveModel,
  scaleShortSideOfEntry,
  streamingOf,
} from '../dist/zoo/client.js';
import * as ort from '../node_modules/onnxruntime-web/dist/ort.min.mjs';

const params = new URLSearchParams(location.search);
const zooUrl = new URL(params.get('zoo') ?? '../zoo.json', location.href);
const $ = (id) => document.getElementById(id);

// Only float32 models: onnxruntime-web's wasm build runs the int8 (QDQ) export of the online model slower than its
// float32 original (0.6× on 1 thread, as here; `npm run bench:precision` measures it), so int8 buys nothing here.
const BROWSER_DTYPES = ['float32'];

async function pickModel() {
  const zoo = await fetchZoo(zooUrl);
  const wanted = params.get('model') ?? undefined;
  const entry = resolveModel(zoo, { id: wanted, kind: 'online', computeDtypes: wanted ? undefined : BROWSER_DTYPES });
  if (!BROWSER_DTYPES.includes(computeDtypeOf(entry))) {
    throw new Error(
      `${entry.id} computes in ${computeDtypeOf(entry)}, which this demo does not offer: onnxruntime-web runs it slower than float32 in the browser (npm run bench:precision); pick a float32 online model`,
    );
  }
  const streaming = streamingOf(entry);
  const interval = Number(params.get('interval') ?? (streaming ? (1000 * streaming.stride) / streaming.fps : 333));
  const windowSize = Number(params.get('window') ?? streaming?.window ?? 4);
  return { entry, bytes: await fetchArtifact(entry, zooUrl), interval, windowSize };
}

function frameTensor(video, canvas, preprocessing, scaleShortSide) {
  const size = preprocessing.cropSize;
  // scale the short side to the entry's scaleShortSide, take the centre crop (TSM's test transform)
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const vw = video.videoWidth;
  const vh = video.videoHeight;
  const scale = scaleShortSide / Math.min(vw, vh);
  const crop = size / scale;
  ctx.drawImage(video, (vw - crop) / 2, (vh - crop) / 2, crop, crop, 0, 0, size, size);
  return normalizeRgba(ctx.getImageData(0, 0, size, size).data, preprocessing);
}

async function main() {
  const { entry, bytes, interval, windowSize } = await pickModel();
  $('model').textContent =
    `${entry.id}@${entry.version} (${entry.arch.name}), a frame every ${Math.round(interval)} ms, window ${windowSize}`;
  ort.env.wasm.wasmPaths = new URL('../node_modules/onnxruntime-web/dist/', import.meta.url).href;
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const artifact = entry.artifacts[0];
  const size = entry.preprocessing.cropSize;
  // the value verify scored the entry with: the entry's own, with a warning when it is not upstream's rule
  const { scaleShortSide, warning } = scaleShortSideOfEntry(entry);
  if (warning) console.warn(warning);
  document.body.dataset.scaleShortSide = String(scaleShortSide);
  const bufferInputs = artifact.inputs.filter((i) => i.name.startsWith('shift_buffer_'));
  const zeros = () =>
    Object.fromEntries(
      bufferInputs.map((b) => {
        const shape = b.shape.map((d) => (typeof d === 'number' ? d : 1));
        return [b.name, new ort.Tensor('float32', new Float32Array(shape.reduce((a, c) => a * c, 1)), shape)];
      }),
    );
  let buffers = zeros();
  const video = $('camera');
  video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  await video.play();
  const canvas = $('crop');
  const history = [];
  let frames = 0;
  const started = performance.now();
  $('status').textContent = 'running';
  document.body.dataset.ready = 'true';
  for (;;) {
    const t0 = performance.now();
    const input = frameTensor(video, canvas, entry.preprocessing, scaleShortSide);
    const out = await session.run({
      [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, size, size]),
      ...buffers,
    });
    buffers = Object.fromEntries(bufferInputs.map((b) => [b.name, out[`${b.name}_out`]]));
    history.push(out.logits.data);
    if (history.length > windowSize) history.shift();
    const avg = history[0].map((_, k) => history.reduce((a, h) => a + h[k], 0) / history.length);
    const order = [...avg.keys()].sort((a, b) => avg[b] - avg[a]);
    const label = entry.labels?.[order[0]] ?? `class ${order[0]}`;
    $('gesture').textContent = label;
    document.body.dataset.gesture = label;
    frames++;
    $('fps').textContent =
      `${(frames / ((performance.now() - started) / 1000)).toFixed(1)} model fps, ${(performance.now() - t0).toFixed(0)} ms a frame`;
    $('top').innerHTML = order
      .slice(0, 5)
      .map(
        (k) =>
          `<tr><td>${entry.labels?.[k] ?? k}</td><td><div class="bar" style="width:${Math.max(2, 20 * (avg[k] - avg[order[4]]))}px"></div></td></tr>`,
      )
      .join('');
    await new Promise((r) => setTimeout(r, Math.max(0, interval - (performance.now() - t0))));
  }
}

main().catch((err) => {
  $('status').textContent = `error: ${err.message}`;
  document.body.dataset.error = err.message;
});
