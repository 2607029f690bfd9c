#!/usr/bin/env python3
"""PyTorch streaming reference for an online (one-directional shift) MobileNetV2 on clips of a Jester-layout set:
each clip's frames at a stride, read and transformed as TSM's test code does (PIL bilinear scale of the short side to
256, centre crop 224, ImageNet normalisation), fed one by one with the shift buffers carried (zeros at each clip's
start). Also the same clip played backwards, to show the buffers matter.

Usage: /usr/bin/python3 tools/reference/stream_online.py CHECKPOINT ROOT OUT.json [--from N] [--to N] [--stride 4] [--reversed N]
CHECKPOINT is the online demo's bare state dict (features.*, classifier.*) or a TSM checkpoint with wrapped blocks.
Writes {"stride", "clips": [{id, label, frames: [1-based indices], logits: [[...]], reversed?: [[...]]}]}; `reversed`
holds the logits of the backwards stream, in the order it was fed.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_jester import MEAN, STD, crops_of, scale  # noqa: E402
from make_online import stream  # noqa: E402
from tsm_models import MobileNetV2  # noqa: E402


def load(path):
    ckpt = torch.load(path, map_location="cpu")
    sd = ckpt.get("state_dict", ckpt)
    bare = {}
    for k, v in sd.items():
        k = k[len("module."):] if k.startswith("module.") else k
        k = k[len("base_model."):] if k.startswith("base_model.") else k
        k = k.replace(".net.", ".")
        if k.startswith("new_fc."):
            k = "classifier." + k[len("new_fc."):]
        bare[k] = v
    width = bare["features.0.0.weight"].shape[0] / 32
    model = MobileNetV2(n_class=bare["classifier.weight"].shape[0], width_mult=width)
    model.load_state_dict(bare)
    return model.eval()


def frame_tensor(path):
    img = crops_of(scale(Image.open(path).convert("RGB"), 256), 224, 1)[0]
    x = (np.asarray(img, dtype=np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(x.transpose(2, 0, 1).copy())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("root")
    ap.add_argument("out")
    ap.add_argument("--from", dest="first", type=int, default=0)
    ap.add_argument("--to", type=int, default=None)
    ap.add_argument("--stride", type=int, default=4)
    ap.add_argument("--reversed", type=int, default=None, help="play only the first N clips backwards too")
    a = ap.parse_args()
    torch.set_num_threads(2)
    model = load(a.checkpoint)
    lines = [l.split() for l in open(os.path.join(a.root, "val_videofolder.txt")) if l.strip()]
    clips = []
    for k, (vid, n, label) in enumerate(lines[a.first:a.to]):
        idx = list(range(1, int(n) + 1, a.stride))
        frames = torch.stack([frame_tensor(os.path.join(a.root, "20bn-jester-v1", vid, "%05d.jpg" % i)) for i in idx])
        logits, _ = stream(model, frames)
        clip = {"id": vid, "label": int(label), "frames": idx, "logits": logits.tolist()}
        if a.reversed is None or k < a.reversed:
            clip["reversed"] = stream(model, frames.flip(0))[0].tolist()
        clips.append(clip)
    json.dump({"stride": a.stride, "clips": clips}, open(a.out, "w"))
    print(json.dumps({"clips": len(clips), "frames": sum(len(c["frames"]) for c in clips)}))


if __name__ == "__main__":
    main()
