#!/usr/bin/env python3
"""Reference evaluation with PIL + torch, following TSM's test_models.py protocol (1 clip, uniform sampling,
GroupScale(256) with PIL bilinear, GroupCenterCrop(224), ImageNet normalisation, scores averaged over views).

Usage: /usr/bin/python3 tools/reference/eval_jester.py CHECKPOINT ROOT OUT.json [--crops 1|3|10] [--twice]
The checkpoint is rebuilt with tools/reference/tsm_models.py from its TSM file name (mobilenetv2 or resnet).
Writes {"clips": [{id, label, prediction, scores}], "top1", "top5", "protocol"} with accuracies as fractions.
"""
import argparse
import json
import os
import re
import time
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tsm_models import TSN  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def load_model(path):
    name = os.path.basename(path)
    m = re.match(r"TSM_(\w+?)_RGB_(\w+?)(?:_shift(\d+)_(blockres|block))?_avg_segment(\d+)_e\d+", name)
    arch, div, place, segments = m.group(2).lower(), m.group(3), m.group(4), int(m.group(5))
    ckpt = torch.load(path, map_location="cpu")
    sd = {k[len("module."):] if k.startswith("module.") else k: v for k, v in ckpt["state_dict"].items()}
    classes = sd["new_fc.weight"].shape[0]
    width = sd["base_model.features.0.0.weight"].shape[0] / 32 if arch == "mobilenetv2" else 1.0
    model = TSN(classes, segments, arch, shift_div=int(div or 8), shift_place=place, width_mult=width)
    model.load_state_dict(sd)
    return model.eval(), segments


def scale(img, size):
    w, h = img.size
    if w < h:
        return img.resize((size, int(size * h / w)), Image.BILINEAR)
    return img.resize((int(size * w / h), size), Image.BILINEAR)


def crops_of(img, crop, n):
    w, h = img.size
    if n == 1:
        left, top = int(round((w - crop) / 2.0)), int(round((h - crop) / 2.0))
        return [img.crop((left, top, left + crop, top + crop))]
    ws, hs = (w - crop) // 4, (h - crop) // 4
    if n == 3:
        offs = [(0, 2 * hs), (4 * ws, 2 * hs), (2 * ws, 2 * hs)]
        return [img.crop((x, y, x + crop, y + crop)) for x, y in offs]
    offs = [(0, 0), (4 * ws, 0), (0, 4 * hs), (4 * ws, 4 * hs), (2 * ws, 2 * hs)]
    out = []
    for x, y in offs:
        c = img.crop((x, y, x + crop, y + crop))
        out += [c, c.transpose(Image.FLIP_LEFT_RIGHT)]
    return out


def indices(n, segments, twice):
    tick = n / float(segments)
    groups = [[int(tick / 2.0 + tick * x) + 1 for x in range(segments)]]
    if twice:
        groups.append([int(tick * x) + 1 for x in range(segments)])
    return groups


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("root")
    ap.add_argument("out")
    ap.add_argument("--crops", type=int, default=1)
    ap.add_argument("--twice", action="store_true")
    ap.add_argument("--max-num", type=int, default=0, help="only the first N clips")
    a = ap.parse_args()
    torch.set_num_threads(2)
    model, segments = load_model(a.checkpoint)
    records = [l.split() for l in open(os.path.join(a.root, "val_videofolder.txt")) if l.strip()]
    if a.max_num:
        records = records[:a.max_num]
    clips, top1, top5 = [], 0, 0
    started = time.perf_counter()
    for vid, nf, label in records:
        views = []
        for group in indices(int(nf), segments, a.twice):
            frames = [scale(Image.open(os.path.join(a.root, "20bn-jester-v1", vid, "%05d.jpg" % i)).convert("RGB"), 256)
                      for i in group]
            per_crop = list(zip(*[crops_of(f, 224, a.crops) for f in frames]))  # crops × T
            for crop_frames in per_crop:
                arr = np.stack([(np.asarray(f, dtype=np.float32) / 255.0 - MEAN) / STD for f in crop_frames])
                views.append(torch.from_numpy(arr).permute(0, 3, 1, 2))
        with torch.no_grad():
            scores = model(torch.stack(views)).mean(0)
        order = scores.argsort(descending=True).tolist()
        top1 += order[0] == int(label)
        top5 += int(label) in order[:5]
        clips.append({"id": vid, "label": int(label), "prediction": order[0], "scores": scores.tolist()})
    n = len(clips)
    seconds = time.perf_counter() - started
    json.dump({"clips": clips, "top1": top1 / n, "top5": top5 / n, "seconds": seconds,
               "protocol": {"segments": segments, "crops": a.crops, "twice": a.twice, "resize": "PIL bilinear"}},
              open(a.out, "w"))
    print(json.dumps({"top1": top1 / n, "top5": top5 / n, "clips": n, "seconds": seconds}))


if __name__ == "__main__":
    main()
