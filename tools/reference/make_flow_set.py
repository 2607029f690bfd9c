#!/usr/bin/env python3
"""Writes a small optical-flow dataset in the three upstream flow layouts (docs/upstream-tsm-family.md §3, §5), for verify tests:

  ROOT/images/<clip>/flow_{x,y}_NNNNN.jpg                          (UCF101/HMDB51: 'flow_{}_{:05d}.jpg')
  ROOT/20bn-something-something-v1-flow/<id6>/<id6>-{x,y}_NNNNN.jpg ('{:06d}-{}_{:05d}.jpg', list counts both axes)
  ROOT/20bn-something-something-v2-flow/<id>/NNNNNN.jpg             ('{:06d}.jpg': x in red, y in green)

with val_videofolder_flow.txt per layout folder and a 27-line category.txt. Frames are smooth moving patterns plus
noise, different for x and y and per frame, so a wrong axis, order, inversion or index shows in the scores. Clip
lengths include ones shorter than T + new_length - 1 (index clamping) and one clip's flow images are RGB JPEGs
(Pillow's RGB to L conversion).

Usage: /usr/bin/python3 tools/reference/make_flow_set.py ROOT
"""
import os
import sys

import numpy as np
from PIL import Image

W, H = 96, 72
CLIPS = [("101", 30, 3), ("102", 11, 7), ("103", 6, 12), ("104", 47, 20)]  # id, frames, label


def plane(rng, t, axis, n):
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    phase = 0.4 * t + (1.3 if axis == "y" else 0.0) + 0.1 * n
    v = 128 + 70 * np.sin(xx / (7 + 3 * (axis == "y")) + phase) * np.cos(yy / 9 - phase / 2) + rng.normal(0, 12, (H, W))
    return np.clip(v, 0, 255).astype(np.uint8)


def main():
    root = sys.argv[1]
    rng = np.random.default_rng(7)
    layouts = {"ucf": "images", "sthv1": "20bn-something-something-v1-flow", "sthv2": "20bn-something-something-v2-flow"}
    for name, frames_dir in layouts.items():
        base = os.path.join(root, name)
        os.makedirs(base, exist_ok=True)
        with open(os.path.join(base, "category.txt"), "w") as f:
            f.write("\n".join("class_%d" % i for i in range(27)) + "\n")
        lines = []
        for k, (cid, n, label) in enumerate(CLIPS):
            vid = str(int(cid) + 1000 * (name == "sthv1"))
            for t in range(1, n + 1):
                x, y = plane(rng, t, "x", k), plane(rng, t, "y", k)
                if name == "ucf":
                    folder = os.path.join(base, frames_dir, vid)
                    os.makedirs(folder, exist_ok=True)
                    for axis, p in (("x", x), ("y", y)):
                        img = Image.fromarray(p, "L")
                        if k == 1:  # this clip's flow images are colour JPEGs: read through Pillow's RGB to L
                            img = Image.merge("RGB", (img, Image.fromarray(np.roll(p, 3, axis=1)), Image.fromarray(255 - p)))
                        img.save(os.path.join(folder, "flow_%s_%05d.jpg" % (axis, t)), quality=90)
                elif name == "sthv1":
                    folder = os.path.join(base, frames_dir, "%06d" % int(vid))
                    os.makedirs(folder, exist_ok=True)
                    for axis, p in (("x", x), ("y", y)):
                        Image.fromarray(p, "L").save(os.path.join(folder, "%06d-%s_%05d.jpg" % (int(vid), axis, t)), quality=90)
                else:
                    folder = os.path.join(base, frames_dir, vid)
                    os.makedirs(folder, exist_ok=True)
                    blank = np.zeros_like(x)
                    Image.fromarray(np.stack([x, y, blank], axis=2), "RGB").save(os.path.join(folder, "%06d.jpg" % t), quality=90)
            # Something-V1 flow lists count the x and y files together: the loader halves it
            lines.append("%s %d %d" % (vid, 2 * n if name == "sthv1" else n, label))
        with open(os.path.join(base, "val_videofolder_flow.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
    print("flow set written to", root)


if __name__ == "__main__":
    main()
