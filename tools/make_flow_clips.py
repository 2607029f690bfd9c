#!/usr/bin/env python3
"""Writes N synthetic optical-flow clips in one upstream flow layout, drawn from a seed and a pattern family, for
tests that need two sets that share nothing: e.g. int8 calibration on one family and scoring on the other.

  --layout pair    ROOT/images/<id>/flow_{x,y}_NNNNN.jpg                  (UCF101/HMDB51: 'flow_{}_{:05d}.jpg')
  --layout packed  ROOT/20bn-something-something-v2-flow/<id>/NNNNNN.jpg  ('{:06d}.jpg': x in red, y in green)

with ROOT/val_videofolder_flow.txt and a 27-line ROOT/category.txt. Flow images are 128 where nothing moves, as
upstream's quantised flow is. Pattern families:

  waves  a global drift (both axes, up to ±50 grey levels) plus a travelling wave of its own orientation, wavelength,
         speed and amplitude per clip and axis, plus noise: clips differ in what a network sees first (mean, texture)
  blobs  a few Gaussian blobs on a still, noisy background, each carrying its own motion vector along a straight path

Every parameter is drawn per clip from the seed, so two seeds (or two families) give disjoint clips.
Usage: /usr/bin/python3 tools/make_flow_clips.py ROOT --clips N --seed S --pattern waves|blobs --layout pair|packed
"""
import argparse
import os

import numpy as np
from PIL import Image

W, H = 96, 72
CLASSES = 27


def waves(rng, frames):
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    axes = []
    for _ in "xy":
        drift = rng.uniform(-50, 50)
        theta, wavelength = rng.uniform(0, np.pi), rng.uniform(6, 30)
        speed, amplitude, noise = rng.uniform(-1.5, 1.5), rng.uniform(15, 70), rng.uniform(4, 16)
        along = (xx * np.cos(theta) + yy * np.sin(theta)) * 2 * np.pi / wavelength
        axes.append([128 + drift + amplitude * np.sin(along + speed * t) + rng.normal(0, noise, (H, W)) for t in range(frames)])
    return axes


def blobs(rng, frames):
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    count = rng.integers(1, 5)
    start = rng.uniform((0, 0), (W, H), (count, 2))
    step = rng.uniform(-3, 3, (count, 2))
    radius = rng.uniform(5, 20, count)
    motion = rng.uniform(-90, 90, (count, 2))  # grey levels of x and y flow inside a blob
    noise = rng.uniform(3, 10)
    axes = [[], []]
    for t in range(frames):
        planes = [np.full((H, W), 128.0) + rng.normal(0, noise, (H, W)) for _ in "xy"]
        for b in range(count):
            cx, cy = start[b] + step[b] * t
            g = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius[b] ** 2))
            for a in range(2):
                planes[a] += motion[b, a] * g
        for a in range(2):
            axes[a].append(planes[a])
    return axes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--clips", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--pattern", choices=("waves", "blobs"), required=True)
    ap.add_argument("--layout", choices=("pair", "packed"), required=True)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    draw = waves if a.pattern == "waves" else blobs
    frames_dir = "images" if a.layout == "pair" else "20bn-something-something-v2-flow"
    os.makedirs(a.root, exist_ok=True)
    with open(os.path.join(a.root, "category.txt"), "w") as f:
        f.write("\n".join("class_%d" % i for i in range(CLASSES)) + "\n")
    lines = []
    for k in range(a.clips):
        vid = "%s%d_%03d" % (a.pattern, a.seed, k)
        frames = int(rng.integers(8, 40))
        x, y = (np.clip(np.stack(p), 0, 255).astype(np.uint8) for p in draw(rng, frames))
        folder = os.path.join(a.root, frames_dir, vid)
        os.makedirs(folder, exist_ok=True)
        for t in range(frames):
            if a.layout == "pair":
                for axis, p in (("x", x[t]), ("y", y[t])):
                    Image.fromarray(p, "L").save(os.path.join(folder, "flow_%s_%05d.jpg" % (axis, t + 1)), quality=90)
            else:
                rgb = np.stack([x[t], y[t], np.zeros_like(x[t])], axis=2)
                Image.fromarray(rgb, "RGB").save(os.path.join(folder, "%06d.jpg" % (t + 1)), quality=90)
        lines.append("%s %d %d" % (vid, frames, rng.integers(0, CLASSES)))
    with open(os.path.join(a.root, "val_videofolder_flow.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(a.clips, a.pattern, "clips written to", a.root)


if __name__ == "__main__":
    main()
