#!/usr/bin/env python3
"""Writes the mini Jester set in the exact Jester layout (docs/upstream-tsm.md §3):

  OUT/20bn-jester-v1/<video id>/00001.jpg …   JPEG frames, 176×100 like the real set, 30–40 a clip
  OUT/category.txt                             all 27 Jester class names, sorted, index = line
  OUT/val_videofolder.txt                      <id> <num_frames> <label>
  OUT/train_videofolder.txt                    (only with --train N: N clips a class)

Usage: /usr/bin/python3 tools/make_jester_mini.py OUT [--val N] [--train N] [--seed S]
Deterministic for a given seed. The committed fixtures/jester-mini holds the val split (--val 8).
"""
import argparse
import os

import numpy as np

from jester_synth import GESTURES, JESTER_CLASSES, jpeg_bytes, make_clip


def write_split(out, split, per_class, seed, first_id):
    rng = np.random.default_rng(seed)
    lines = []
    vid = first_id
    for k in range(per_class):
        for gesture in GESTURES:
            frames = make_clip(gesture, rng)
            d = os.path.join(out, "20bn-jester-v1", str(vid))
            os.makedirs(d, exist_ok=True)
            for i, f in enumerate(frames):
                with open(os.path.join(d, "%05d.jpg" % (i + 1)), "wb") as fh:
                    fh.write(jpeg_bytes(f))
            lines.append("%d %d %d" % (vid, len(frames), JESTER_CLASSES.index(gesture)))
            vid += 1
    with open(os.path.join(out, "%s_videofolder.txt" % split), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return vid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--val", type=int, default=8)
    ap.add_argument("--train", type=int, default=0)
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "category.txt"), "w") as fh:
        fh.write("\n".join(JESTER_CLASSES) + "\n")
    next_id = write_split(a.out, "val", a.val, a.seed, 100001)
    if a.train:
        write_split(a.out, "train", a.train, a.seed + 1, 200001 if next_id <= 200001 else next_id)


if __name__ == "__main__":
    main()
