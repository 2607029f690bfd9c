#!/usr/bin/env python3
"""Reference evaluation of a TSM checkpoint on a video-folder dataset, RGB or Flow, written from docs/upstream-tsm.md(-2):
TSNDataSet's test indices (with new_length), frame stacking, flow loading per template, GroupScale / center crop /
full-res 3 crops / 10-crop oversampling (flipped x flow images inverted), GroupNormalize, logits averaged over views.

Usage: /usr/bin/python3 tools/reference/eval_tsm.py CHECKPOINT ROOT OUT.json --frames-dir D --template T --list L
       [--size S] [--crops 1|3|10] [--dense | --twice] [--full-res] [--max-num N] [--no-invert]
Architecture, segments and modality come from the TSM file name. `--no-invert` leaves flipped x images as they are
(an ablation: a test shows the inversion changes the scores). Writes {"clips": [{id, label, prediction, scores}], ...}.
"""
import argparse
import json
import os
import re
import sys

import numpy as np
import torch
from PIL import Image, ImageOps

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tsm_models import TSN  # noqa: E402

NAME = re.compile(r"TSM_(\w+?)_(RGB|Flow)_(\w+?)(?:_shift(\d+)_(blockres|block))?(_tpool)?_avg_segment(\d+)_e\d+(_dense)?(_nl)?")


def load_model(path):
    m = NAME.match(os.path.basename(path))
    modality, arch, div, place, tpool, segments, nl = m.group(2), m.group(3).lower(), m.group(4), m.group(5), m.group(6), int(m.group(7)), m.group(9)
    ckpt = torch.load(path, map_location="cpu")
    sd = {k[len("module."):] if k.startswith("module.") else k: v for k, v in ckpt["state_dict"].items()}
    classes = sd["new_fc.weight"].shape[0]
    width = sd["base_model.features.0.0.weight"].shape[0] / 32 if arch == "mobilenetv2" else 1.0
    model = TSN(classes, segments, arch, shift_div=int(div or 8), shift_place=place, width_mult=width,
                temporal_pool=bool(tpool), non_local=bool(nl), modality=modality)
    model.load_state_dict(sd)
    return model.eval(), segments, modality


def test_indices(n, segments, new_length, mode):
    if mode == "dense":
        sample_pos = max(1, 1 + n - 64)
        t_stride = 64 // segments
        starts = np.linspace(0, sample_pos - 1, num=10, dtype=int)
        return [[(idx * t_stride + s) % n + 1 for idx in range(segments)] for s in starts]
    tick = (n - new_length + 1) / float(segments)
    groups = [[int(tick / 2.0 + tick * x) + 1 for x in range(segments)]]
    if mode == "twice":
        groups.append([int(tick * x) + 1 for x in range(segments)])
    return groups


def load_images(root, frames_dir, template, vid, idx, modality):
    if modality == "RGB":
        try:
            return [Image.open(os.path.join(root, frames_dir, vid, template.format(idx))).convert("RGB")]
        except OSError:
            return [Image.open(os.path.join(root, frames_dir, vid, template.format(1))).convert("RGB")]
    if template == "flow_{}_{:05d}.jpg":
        folder = os.path.join(root, frames_dir, vid)
        return [Image.open(os.path.join(folder, template.format(a, idx))).convert("L") for a in "xy"]
    if template == "{:06d}-{}_{:05d}.jpg":
        folder = os.path.join(root, frames_dir, "{:06d}".format(int(vid)))
        return [Image.open(os.path.join(folder, template.format(int(vid), a, idx))).convert("L") for a in "xy"]
    try:
        flow = Image.open(os.path.join(root, frames_dir, vid, template.format(idx))).convert("RGB")
    except OSError:
        flow = Image.open(os.path.join(root, frames_dir, vid, template.format(1))).convert("RGB")
    x, y, _ = flow.split()
    return [x.convert("L"), y.convert("L")]


def group_scale(img, size):
    w, h = img.size
    if w < h:
        return img.resize((size, int(size * h / w)), Image.BILINEAR)
    return img.resize((int(size * w / h), size), Image.BILINEAR)


def crop_views(images, crop, n, invert):
    """List of views, each the whole image group cropped (and, for flipped crops, mirrored)."""
    w, h = images[0].size
    if n == 1:
        left, top = int(round((w - crop) / 2.0)), int(round((h - crop) / 2.0))
        return [[im.crop((left, top, left + crop, top + crop)) for im in images]]
    ws, hs = (w - crop) // 4, (h - crop) // 4
    if n == 3:
        return [[im.crop((x, y, x + crop, y + crop)) for im in images] for x, y in [(0, 2 * hs), (4 * ws, 2 * hs), (2 * ws, 2 * hs)]]
    views = []
    for x, y in [(0, 0), (4 * ws, 0), (0, 4 * hs), (4 * ws, 4 * hs), (2 * ws, 2 * hs)]:
        normal = [im.crop((x, y, x + crop, y + crop)) for im in images]
        flipped = []
        for i, c in enumerate(normal):
            f = c.transpose(Image.FLIP_LEFT_RIGHT)
            flipped.append(ImageOps.invert(f) if invert and c.mode == "L" and i % 2 == 0 else f)
        views += [normal, flipped]
    return views


def to_tensor(images, modality):
    if modality == "RGB":
        arr = np.concatenate([np.asarray(im) for im in images], axis=2)
    else:
        arr = np.stack([np.asarray(im) for im in images], axis=2)
    t = torch.from_numpy(arr).permute(2, 0, 1).contiguous().float().div(255)
    if modality == "RGB":
        mean = torch.tensor([0.485, 0.456, 0.406] * (t.shape[0] // 3)).view(-1, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225] * (t.shape[0] // 3)).view(-1, 1, 1)
    else:
        mean, std = 0.5, float(np.mean([0.229, 0.224, 0.225]))
    return (t - mean) / std


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("root")
    ap.add_argument("out")
    ap.add_argument("--frames-dir", required=True)
    ap.add_argument("--template", required=True)
    ap.add_argument("--list", required=True)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--crops", type=int, default=1)
    ap.add_argument("--dense", action="store_true")
    ap.add_argument("--twice", action="store_true")
    ap.add_argument("--full-res", action="store_true")
    ap.add_argument("--max-num", type=int, default=0)
    ap.add_argument("--no-invert", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(2)
    model, segments, modality = load_model(a.checkpoint)
    new_length = 1 if modality == "RGB" else 5
    channels = 3 * new_length if modality == "RGB" else 2 * new_length
    scale = a.size if a.full_res else a.size * 256 // 224
    mode = "dense" if a.dense else "twice" if a.twice else "uniform"
    lines = [l.split() for l in open(os.path.join(a.root, a.list)) if l.strip()]
    if a.max_num:
        lines = lines[:a.max_num]
    clips, top1, top5 = [], 0, 0
    for vid, n, label in lines:
        n = int(n)
        if a.template == "{:06d}-{}_{:05d}.jpg":
            n = int(n / 2)
        images = []
        for group in test_indices(n, segments, new_length, mode):
            for p in group:
                for _ in range(new_length):
                    images += load_images(a.root, a.frames_dir, a.template, vid, p, modality)
                    if p < n:
                        p += 1
        images = [group_scale(im, scale) for im in images]
        views = []
        for crop in crop_views(images, a.size, a.crops, not a.no_invert):
            t = to_tensor(crop, modality)  # [clips*T*channels, S, S]
            views.append(t.view(-1, segments, channels, a.size, a.size))
        batch = torch.cat(views)
        with torch.no_grad():
            scores = model(batch).mean(0)
        order = scores.argsort(descending=True).tolist()
        top1 += order[0] == int(label)
        top5 += int(label) in order[:5]
        clips.append({"id": vid, "label": int(label), "prediction": order[0], "scores": scores.tolist()})
    n = len(clips)
    json.dump({"clips": clips, "top1": top1 / n, "top5": top5 / n, "protocol": {"segments": segments, "crops": a.crops, "sampling": mode,
               "modality": modality, "scale": scale, "size": a.size}}, open(a.out, "w"))
    print(json.dumps({"clips": n, "top1": top1 / n}))


if __name__ == "__main__":
    main()
