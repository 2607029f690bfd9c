// Where the demo's frames come from: a frame sequence (the bundled sample clip, or any clip.json), a video the browser
// decodes (a URL or the user's file), or the webcam. Every frame leaves here at its own size as RGBA pixels or JPEG
// bytes: the scaling and the crop are tsm/runtime's (Pillow-exact bilinear, as verify and PyTorch), never a canvas's.

/** The sample clip shipped in web/sample-clip/: 39 JPEGs (176×100, 72 KB) of a mini Jester "Swiping Left". */
export const SAMPLE_CLIP = new URL('./sample-clip/clip.json', import.meta.url);

/** A frame sequence: `{ frames: [relative URLs], fps, label? }` → its JPEG bytes in order. */
export async function loadFrameSequence(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const clip = await response.json();
  if (!Array.isArray(clip.frames) || !clip.frames.length) throw new Error(`${url}: no "frames" listed`);
  const frames = await Promise.all(
    clip.frames.map(async (name) => {
      const frame = await fetch(new URL(name, url));
      if (!frame.ok) throw new Error(`${new URL(name, url)}: HTTP ${frame.status}`);
      return new Uint8Array(await frame.arrayBuffer());
    }),
  );
  return { frames, fps: clip.fps ?? 12, label: clip.label, decoded: 'JPEG, the browser decoder' };
}

/** A canvas as large as the source, so that drawing copies pixels one to one (no scaling). */
function grabber() {
  const canvas = document.createElement('canvas');
  let context;
  return (source, width, height) => {
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
      context = undefined;
    }
    context ??= canvas.getContext('2d', { willReadFrequently: true });
    context.drawImage(source, 0, 0);
    return { data: context.getImageData(0, 0, width, height).data, width, height, channels: 4 };
  };
}

/**
 * A video decoded by the browser, one frame every 1/fps s (a `<video>` element seeked frame by frame), at most
 * `maxFrames`. The browser's video decoder may differ from ffmpeg's by a few levels: parity is tested on frame
 * sequences.
 */
export async function loadVideo(url, fps = 12, maxFrames = 360) {
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  video.src = url;
  await new Promise((resolve, reject) => {
    video.onloadeddata = resolve;
    video.onerror = () => reject(new Error(`${url}: the browser cannot decode this video (${video.error?.message})`));
  });
  const grab = grabber();
  const count = Math.max(1, Math.min(maxFrames, Math.floor(video.duration * fps)));
  const frames = [];
  for (let i = 0; i < count; i++) {
    await new Promise((resolve) => {
      video.onseeked = resolve;
      video.currentTime = (i + 0.5) / fps;
    });
    frames.push(grab(video, video.videoWidth, video.videoHeight));
  }
  return { frames, fps, decoded: `video, the browser decoder (${video.videoWidth}×${video.videoHeight})` };
}

/** The webcam, when the machine has one (undefined otherwise); `grab()` gives its current frame. */
export async function openCamera(video) {
  const devices = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  if (!devices.some((d) => d.kind === 'videoinput')) return undefined;
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  } catch (err) {
    console.warn(`no webcam: ${err.message}`);
    return undefined;
  }
  await video.play();
  const grab = grabber();
  return { grab: () => grab(video, video.videoWidth, video.videoHeight) };
}

/** Shows a frame (RGBA pixels or JPEG bytes) on the page's canvas; display only, the model never sees this. */
export async function showFrame(canvas, frame) {
  const image =
    frame instanceof Uint8Array
      ? await createImageBitmap(new Blob([frame]))
      : new ImageData(new Uint8ClampedArray(frame.data), frame.width, frame.height);
  if (canvas.width !== image.width) canvas.width = image.width;
  if (canvas.height !== image.height) canvas.height = image.height;
  const context = canvas.getContext('2d');
  if (image instanceof ImageData) context.putImageData(image, 0, 0);
  else context.drawImage(image, 0, 0);
}
