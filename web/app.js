// The browser demo on tsm/runtime: models from zoo.json (size and sha256 checked), frames sampled, scaled, cropped and
// normalised by the runtime's verified WebAssembly kernels, onnxruntime-web on WebGPU when the browser gives an
// adapter, else wasm. Input: the webcam when there is one, else a frame sequence or video (?clip=URL, the file
// picker), else the bundled sample clip. A clip is classified whole by the offline model (top-5) and streamed through
// the online model (stream(): its gesture and frame rate); the webcam streams.
// Query parameters: ?ep=wasm|webgpu  ?clip=URL (a clip.json frame sequence, or a video)  ?offline=ID|none
// ?online=ID|none  ?zoo=URL. The page's results are in window.__tsmResult (the tests read them).
import * as ort from 'onnxruntime-web';
import { loadClassifier } from '../dist/runtime/index.js';
import { computeDtypeOf, fetchZoo, resolveModel, streamingOf } from '../dist/zoo/client.js';
import { loadFrameSequence, loadVideo, openCamera, SAMPLE_CLIP, showFrame } from './sources.js';

const params = new URLSearchParams(location.search);
const zooUrl = new URL(params.get('zoo') ?? '../zoo.json', location.href);
const $ = (id) => document.getElementById(id);
const result = { done: false };
window.__tsmResult = result;

// onnxruntime-web's wasm build runs the int8 (QDQ) exports slower than their float32 originals (0.6× on 1 thread;
// `npm run bench:precision` measures it), and WebGPU has no int8 kernels for them: the demo offers none.
const REFUSED_DTYPES = ['int8'];

/** WebGPU when the browser gives an adapter (or ?ep=webgpu insists), else wasm; and the adapter's description. */
async function chooseExecutionProvider() {
  const asked = params.get('ep');
  if (asked && asked !== 'wasm' && asked !== 'webgpu') throw new Error(`?ep=${asked}: expected wasm or webgpu`);
  const adapter = asked === 'wasm' ? null : await navigator.gpu?.requestAdapter();
  if (asked === 'webgpu' && !adapter) throw new Error('?ep=webgpu: this browser gives no WebGPU adapter');
  if (!adapter) return { ep: 'wasm', adapter: null, asked };
  const info = adapter.info ?? {};
  const description = { vendor: info.vendor ?? '', architecture: info.architecture ?? '' };
  return { ep: 'webgpu', adapter: description, f16: adapter.features.has('shader-f16'), asked };
}

/**
 * A float16 model on WebGPU needs the adapter's `shader-f16` (SwiftShader has none): without it, wasm runs the
 * model (onnxruntime's CPU kernels), or ?ep=webgpu fails saying so.
 */
function fitExecutionProvider(choice, entries) {
  const f16 = entries.filter((e) => e && computeDtypeOf(e) === 'float16');
  if (choice.ep !== 'webgpu' || choice.f16 || !f16.length) return choice;
  const reason =
    `${f16[0].id} computes in float16, and this WebGPU adapter (${choice.adapter.vendor}, ` +
    `${choice.adapter.architecture}) has no shader-f16`;
  if (choice.asked === 'webgpu') throw new Error(`?ep=webgpu: ${reason}; ?ep=wasm runs it on the CPU`);
  return { ep: 'wasm', adapter: null, note: `${reason}: wasm runs it` };
}

/** The zoo entry the page runs for one role: `?<role>=ID`, else the best published float32 match; null for `none`. */
function pickEntry(zoo, role, kind) {
  const wanted = params.get(role);
  if (wanted === 'none') return null;
  const entry = wanted
    ? resolveModel(zoo, { id: wanted })
    : resolveModel(zoo, { kind, task: 'gesture-recognition', computeDtypes: ['float32'] });
  const dtype = computeDtypeOf(entry);
  if (REFUSED_DTYPES.includes(dtype))
    throw new Error(
      `${entry.id} computes in ${dtype}, which this demo does not offer: onnxruntime-web runs it slower than float32 ` +
        '(npm run bench:precision); pick a float32 model',
    );
  return entry;
}

async function load(entry, ep) {
  if (!entry) return null;
  const t0 = performance.now();
  const classifier = await loadClassifier({
    id: entry.id,
    version: entry.version,
    zoo: zooUrl,
    executionProviders: [ep],
  });
  return { classifier, entry, loadMs: performance.now() - t0 };
}

function showTop(top) {
  $('top').innerHTML = top
    .map(
      (r) =>
        `<tr><td>${r.label}</td><td>${(100 * r.score).toFixed(1)} %</td>` +
        `<td><div class="bar" style="width:${Math.round(160 * r.score)}px"></div></td></tr>`,
    )
    .join('');
}

/** The clip's frames: ?clip=, a file the user picked, or the sample clip. */
async function loadClip(url) {
  const href = new URL(url, location.href);
  return href.pathname.endsWith('.json') ? loadFrameSequence(href) : loadVideo(href.href);
}

/** Classifies a whole clip with the offline model; its top-5 and logits go on the page. */
async function classifyClip(offline, clip) {
  const t0 = performance.now();
  const r = await offline.classifier.classify(clip.frames, { top: 5 });
  const ms = performance.now() - t0;
  showTop(r.top);
  $('offline').textContent =
    `${offline.classifier.name}: ${r.top[0].label} (${clip.frames.length} frames, ` +
    `${r.sampled.length} sampled, ${ms.toFixed(0)} ms)`;
  return { model: offline.classifier.name, logits: Array.from(r.logits), top: r.top, sampled: r.sampled, ms };
}

/** Feeds frames to the online model's stream at the clip's frame rate; the gesture and the model's rate shown. */
async function streamFrames(online, nextFrame, fps, onFrame) {
  const stream = online.classifier.stream();
  const stride = streamingOf(online.entry)?.stride ?? 1;
  const stepTimes = [];
  const stepStarts = [];
  for (let pushed = 0; ; pushed++) {
    const t0 = performance.now();
    const frame = await nextFrame(pushed);
    if (!frame) return;
    const event = await stream.push(frame);
    if (pushed % stride === 0) {
      // the model's rate and time a step over the last 10 steps
      stepTimes.push(performance.now() - t0);
      stepStarts.push(t0);
      if (stepTimes.length > 10) stepTimes.shift();
      if (stepStarts.length > 10) stepStarts.shift();
      const perStep = stepTimes.reduce((x, y) => x + y, 0) / stepTimes.length;
      result.stepMs = perStep;
      if (stepStarts.length > 1) {
        const rate = (stepStarts.length - 1) / ((stepStarts.at(-1) - stepStarts[0]) / 1000);
        $('fps').textContent = `${rate.toFixed(1)} model fps, ${perStep.toFixed(0)} ms a frame`;
      }
    }
    if (event) {
      $('gesture').textContent = event.label;
      document.body.dataset.gesture = event.label;
    }
    await onFrame?.(frame);
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 / fps - (performance.now() - t0))));
  }
}

async function runClip(clip, offline, online) {
  $('source').textContent = `clip: ${clip.name} (${clip.frames.length} frames, ${clip.decoded})`;
  $('camera').hidden = true;
  $('frame').hidden = false;
  await showFrame($('frame'), clip.frames[0]);
  if (offline) result.offline = await classifyClip(offline, clip);
  if (online) {
    const t0 = performance.now();
    const r = await online.classifier.classify(clip.frames, { top: 5 });
    result.online = {
      model: online.classifier.name,
      logits: Array.from(r.logits),
      top: r.top,
      lastGesture: r.lastGesture,
      ms: performance.now() - t0,
    };
  }
  result.done = true;
  document.body.dataset.ready = 'true';
  $('status').textContent = 'running';
  // then the clip plays in a loop through the online model's stream
  if (online)
    await streamFrames(
      online,
      (i) => clip.frames[i % clip.frames.length],
      clip.fps,
      (f) => showFrame($('frame'), f),
    );
}

async function main() {
  const zoo = await fetchZoo(zooUrl);
  const entries = { online: pickEntry(zoo, 'online', 'online'), offline: pickEntry(zoo, 'offline', 'tsm') };
  const { ep, adapter, note } = fitExecutionProvider(await chooseExecutionProvider(), Object.values(entries));
  Object.assign(result, { ep, adapter, ...(note ? { epNote: note } : {}) });
  $('ep').textContent =
    (adapter ? `WebGPU (${adapter.vendor}, ${adapter.architecture})` : 'wasm') + (note ? ` — ${note}` : '');
  document.body.dataset.ep = ep;
  ort.env.wasm.wasmPaths = new URL('../node_modules/onnxruntime-web/dist/', import.meta.url).href;
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency) : 1;
  const online = await load(entries.online, ep);
  const offline = await load(entries.offline, ep);
  const names = [offline, online].filter(Boolean).map((m) => `${m.classifier.name} (${m.entry.arch.name})`);
  const protocol = online && streamingOf(online.entry);
  $('model').textContent =
    names.join(', ') +
    (protocol
      ? `; a frame every ${Math.round((1000 * protocol.stride) / protocol.fps)} ms, ` + `window ${protocol.window}`
      : '');
  if (online) document.body.dataset.scaleShortSide = String(online.classifier.scaleShortSide);
  result.models = { offline: offline?.classifier.name ?? null, online: online?.classifier.name ?? null };
  $('picker').onchange = async (e) => {
    const file = e.target.files?.[0];
    if (!file || !offline) return;
    const clip = await loadVideo(URL.createObjectURL(file), protocol?.fps ?? 12);
    const r = await classifyClip(offline, { ...clip, name: file.name });
    result.file = { name: file.name, frames: clip.frames.length, ...r };
  };
  const asked = params.get('clip');
  const camera = asked ? undefined : await openCamera($('camera'));
  if (!camera) {
    const clip = await loadClip(asked ?? SAMPLE_CLIP);
    result.source = asked ? 'clip' : 'sample';
    return runClip({ ...clip, name: asked ?? 'the bundled sample (mini Jester, Swiping Left)' }, offline, online);
  }
  result.source = 'camera';
  $('source').textContent = 'webcam';
  if (!online) throw new Error('the webcam needs an online model (?online=none was given)');
  document.body.dataset.ready = 'true';
  $('status').textContent = 'running';
  await streamFrames(online, () => camera.grab(), protocol?.fps ?? 12);
}

main().catch((err) => {
  $('status').textContent = `error: ${err.message}`;
  document.body.dataset.error = err.message;
  result.error = err.message;
});
