// The live demo: reads zoo.json, loads an online TSM model (tsm convert --online) with onnxruntime-web (wasm),
// takes the webcam, feeds one frame every `interval` ms with the shift buffers carried between frames, smooths the
// logits over the last `window` frames and shows the gesture and the frame rate.
// Query parameters: ?model=<zoo id>&interval=<ms>&window=<frames>&zoo=<path>
import * as ort from '../node_modules/onnxruntime-web/dist/ort.min.mjs';

const params = new URLSearchParams(location.search);
const zooPath = params.get('zoo') ?? '../zoo.json';
const interval = Number(params.get('interval') ?? 333);
const windowSize = Number(params.get('window') ?? 4);
const $ = (id) => document.getElementById(id);
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

function fail(message) {
  $('status').textContent = message;
  document.body.dataset.error = message;
  throw new Error(message);
}

async function pickModel() {
  const zoo = await (await fetch(zooPath)).json();
  const wanted = params.get('model');
  const candidates = zoo.models.filter((m) => m.arch.kind === 'online' && m.artifacts.some((a) => a.path));
  const entry = wanted ? candidates.find((m) => m.id === wanted) : candidates[0];
  if (!entry) fail(`no online model${wanted ? ` '${wanted}'` : ''} with a local artifact in ${zooPath}`);
  return { entry, url: new URL(entry.artifacts[0].path, new URL(zooPath, location.href)).href };
}

function frameTensor(video, canvas, size) {
  // scale the short side to 256/224·size, take the centre size×size crop (TSM's test transform)
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const vw = video.videoWidth;
  const vh = video.videoHeight;
  const scale = Math.floor((size * 256) / 224) / Math.min(vw, vh);
  const crop = size / scale;
  ctx.drawImage(video, (vw - crop) / 2, (vh - crop) / 2, crop, crop, 0, 0, size, size);
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const out = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < size * size; i++) out[c * size * size + i] = (rgba[i * 4 + c] / 255 - MEAN[c]) / STD[c];
  }
  return out;
}

async function main() {
  const { entry, url } = await pickModel();
  $('model').textContent = `${entry.id}@${entry.version} (${entry.arch.name})`;
  ort.env.wasm.wasmPaths = new URL('../node_modules/onnxruntime-web/dist/', import.meta.url).href;
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(url, { executionProviders: ['wasm'] });
  const artifact = entry.artifacts[0];
  const size = entry.preprocessing.cropSize;
  const bufferInputs = artifact.inputs.filter((i) => i.name.startsWith('shift_buffer_'));
  const zeros = () => Object.fromEntries(bufferInputs.map((b) => {
    const shape = b.shape.map((d) => (typeof d === 'number' ? d : 1));
    return [b.name, new ort.Tensor('float32', new Float32Array(shape.reduce((a, c) => a * c, 1)), shape)];
  }));
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
    const input = frameTensor(video, canvas, size);
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, size, size]), ...buffers });
    buffers = Object.fromEntries(bufferInputs.map((b) => [b.name, out[`${b.name}_out`]]));
    history.push(out.logits.data);
    if (history.length > windowSize) history.shift();
    const avg = history[0].map((_, k) => history.reduce((a, h) => a + h[k], 0) / history.length);
    const order = [...avg.keys()].sort((a, b) => avg[b] - avg[a]);
    const label = entry.labels?.[order[0]] ?? `class ${order[0]}`;
    $('gesture').textContent = label;
    document.body.dataset.gesture = label;
    frames++;
    $('fps').textContent = `${(frames / ((performance.now() - started) / 1000)).toFixed(1)} model fps, ${(performance.now() - t0).toFixed(0)} ms a frame`;
    $('top').innerHTML = order.slice(0, 5).map((k) => `<tr><td>${entry.labels?.[k] ?? k}</td><td><div class="bar" style="width:${Math.max(2, 20 * (avg[k] - avg[order[4]]))}px"></div></td></tr>`).join('');
    await new Promise((r) => setTimeout(r, Math.max(0, interval - (performance.now() - t0))));
  }
}

main().catch((err) => {
  $('status').textContent = `error: ${err.message}`;
  document.body.dataset.error = err.message;
});
