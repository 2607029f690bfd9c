"""MMAction2's test pipeline for the reference inputs, written from shared/MMACTION2-FACTS.md §5 (cv2 + numpy).

It makes the clips that the generator feeds its models, from real frames, so that a config text and the input
written beside it agree. It is not the `--protocol mmaction2` reference evaluation (later work checks tsm against
its own Python reference); what it fixes is only how these inputs were made:
- SampleFrames, test mode: avg = (N - clip_len·interval + 1) / num_clips, offsets int(i·avg + avg/2) (facts:
  ⌊N(i+½)/n⌋ for clip_len 1); twice_sample appends int(i·avg); indices wrap mod N; + start_index (1 for rawframes,
  0 for video).
- Decoding: rawframes with cv2.imread (BGR → RGB, channel_order 'rgb'); videos with cv2.VideoCapture standing in for
  decord (RGB), total_frames = the frames cv2 decodes.
- Resize (-1, s): short side to s, size int(x·s/short + 0.5), cv2 INTER_LINEAR on uint8 (no antialiasing).
- CenterCrop ((w-c)//2, (h-c)//2); ThreeCrop along the long side at 0, 2·((L-c)//2), (L-c)//2 (left, right, middle;
  the crop's side must equal the short side); TenCrop with steps (w-c)//4, (h-c)//4 at UL, UR, LL, LR, centre, each
  followed by its horizontal flip. Views are crop-major: [crop][clip][t].
- Normalisation (x - mean) / std in float32 on 0–255 RGB (1.x data preprocessor; 0.x's Normalize multiplies by
  1/std in cv2, a difference far below the tolerances used here).
"""
import os

import cv2
import numpy as np

MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)

HERE = os.path.dirname(os.path.abspath(__file__))
JESTER = os.path.normpath(os.path.join(HERE, "..", "..", "..", "fixtures", "jester-mini"))
OPENCV_VIDEOS = "/usr/share/doc/opencv-doc/examples/data"


def sample_frames(total, num_clips, clip_len=1, frame_interval=1, twice_sample=False, start_index=0):
    """Frame indices of SampleFrames in test mode, as a flat list (clip-major)."""
    ori = clip_len * frame_interval
    avg = (total - ori + 1) / float(num_clips)
    if total > ori - 1:
        base = [i * avg for i in range(num_clips)]
        offsets = [int(b + avg / 2.0) for b in base]
        if twice_sample:
            offsets += [int(b) for b in base]
    else:
        offsets = [0] * num_clips * (2 if twice_sample else 1)
    return [(o + j * frame_interval) % total + start_index for o in offsets for j in range(clip_len)]


class RawFrames:
    """A rawframe folder (img template `{:05}.jpg`, frames numbered from 1) of fixtures/jester-mini or elsewhere."""

    start_index = 1

    def __init__(self, folder, total, template="{:05}.jpg"):
        self.folder, self.total, self.template = folder, total, template

    def frames(self, indices):
        out = []
        for i in indices:
            img = cv2.imread(os.path.join(self.folder, self.template.format(i)), cv2.IMREAD_COLOR)
            if img is None:
                raise FileNotFoundError(os.path.join(self.folder, self.template.format(i)))
            out.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        return out


_VIDEO_CACHE = {}


class Video:
    """A video decoded once with cv2 (all frames kept: the sample videos are small)."""

    start_index = 0

    def __init__(self, path):
        self.path = path
        if path not in _VIDEO_CACHE:
            cap = cv2.VideoCapture(path)
            frames = []
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            cap.release()
            if not frames:
                raise FileNotFoundError(f"no frames decoded from {path}")
            _VIDEO_CACHE[path] = frames
        self.total = len(_VIDEO_CACHE[path])

    def frames(self, indices):
        return [_VIDEO_CACHE[self.path][i + self.first] for i in indices]

    first = 0

    def part(self, first, end):
        """Frames [first, end) as a video of their own (another clip of the same footage)."""
        sub = Video(self.path)
        sub.first, sub.total = first, end - first
        return sub


def jester_clip(line):
    """Line `line` (0-based) of fixtures/jester-mini/val_videofolder.txt as (RawFrames, label)."""
    with open(os.path.join(JESTER, "val_videofolder.txt")) as f:
        rows = [r.split() for r in f if r.strip()]
    vid, n, label = rows[line]
    return RawFrames(os.path.join(JESTER, "20bn-jester-v1", vid), int(n)), int(label)


def resize_short(img, short):
    h, w = img.shape[:2]
    sf = short / min(h, w)
    return cv2.resize(img, (int(w * sf + 0.5), int(h * sf + 0.5)), interpolation=cv2.INTER_LINEAR)


def crop_boxes(h, w, crop, c):
    """[(x, y, flip)] of a crop op on an h×w frame, in MMAction2's order."""
    if crop == "CenterCrop":
        return [((w - c) // 2, (h - c) // 2, False)]
    if crop == "ThreeCrop":
        if c == h:
            step = (w - c) // 2
            return [(0, 0, False), (2 * step, 0, False), (step, 0, False)]
        if c == w:
            step = (h - c) // 2
            return [(0, 0, False), (0, 2 * step, False), (0, step, False)]
        raise ValueError(f"ThreeCrop {c} on {w}x{h}: the crop must span the short side")
    if crop == "TenCrop":
        ws, hs = (w - c) // 4, (h - c) // 4
        boxes = [(0, 0), (4 * ws, 0), (0, 4 * hs), (4 * ws, 4 * hs), (2 * ws, 2 * hs)]
        return [(x, y, flip) for x, y in boxes for flip in (False, True)]
    raise ValueError(crop)


def make_clip(source, pipeline, segments):
    """source: RawFrames or Video; pipeline: dict(num_clips, clip_len, frame_interval, twice_sample, resize, crop,
    crop_size). Returns (float32 [views, T, 3, c, c] normalised, frame indices)."""
    indices = sample_frames(source.total, pipeline["num_clips"], pipeline.get("clip_len", 1),
                            pipeline.get("frame_interval", 1), pipeline.get("twice_sample", False), source.start_index)
    frames = [resize_short(f, pipeline["resize"]) for f in source.frames(indices)]
    h, w = frames[0].shape[:2]
    c = pipeline["crop_size"]
    views = []
    for x, y, flip in crop_boxes(h, w, pipeline["crop"], c):
        crops = [f[y:y + c, x:x + c] for f in frames]
        if flip:
            crops = [np.ascontiguousarray(f[:, ::-1]) for f in crops]
        views.extend(crops)
    arr = (np.stack(views).astype(np.float32) - MEAN) / STD  # [crops·frames, c, c, 3]
    arr = arr.transpose(0, 3, 1, 2).reshape(-1, segments, 3, c, c)
    return np.ascontiguousarray(arr, dtype=np.float32), indices
