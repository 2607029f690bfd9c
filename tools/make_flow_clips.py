#!/usr/bin/env python3
"""Writes N synthetic optical-flow clips in one upstream flow layout, every clip drawn from the set's seed, for tests
that need sets sharing no clip: e.g. int8 calibration on one seed and scoring on another (a held-out split).

  --layout pair    ROOT/images/<id>/flow_{x,y}_NNNNN.jpg                  (UCF101/HMDB51: 'flow_{}_{:05d}.jpg')
  --layout packed  ROOT/20bn-something-something-v2-flow/<id>/NNNNNN.jpg  ('{:06d}.jpg': x in red, y in green)

with ROOT/val_videofolder_flow.txt and a 27-line ROOT/category.txt. Flow images are 128 where nothing moves, as
upstream's quantised flow is. Each clip and axis has its own global drift (up to +-50 grey levels), travelling wave
(orientation, wavelength, speed, amplitude) and noise level, and its own length (8-39 frames), so clips differ in
what a network sees first (mean, texture), not only in their noise. Clip ids carry the seed.

Usage: /usr/bin/python3 tools/make_flow_clips.py ROOT --clips N --seed S --layout pair|packed
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--clips", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--layout", choices=("pair", "packed"), required=True)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    frames_dir = "images" if a.layout == "pair" else "20bn-something-something-v2-flow"
    os.makedirs(a.root, exist_ok=True)
    with open(os.path.join(a.root, "category.txt"), "w") as f:
        f.write("\n".join("class_%d" % i for i in range(CLASSES)) + "\n")
    lines = []
    for k in range(a.clips):
        vid = "waves%d_%03d" % (a.seed, k)
        frames = int(rng.integers(8, 40))
        x, y = (np.clip(np.stack(p), 0, 255).astype(np.uint8) for p in waves(rng, frames))
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
    print(a.clips, "clips written to", a.root)


if __name__ == "__main__":
    main()
