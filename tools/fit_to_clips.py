#!/usr/bin/env python3
"""Fits a random-weight TSM checkpoint to a set of clips, so that its predictions on clips like them vary.

A random-weight network whose BatchNorm statistics were measured on noise maps structured clips to nearly the same
pooled features: one or two classes win on every clip, and "the same top-1 as PyTorch" then proves nothing. This
re-measures every BatchNorm's statistics on the fit clips (as training would leave them), then replaces new_fc by a
head that reads what differs between those clips: a random mix of the first K principal coordinates of their pooled
features, centred on their mean, scaled so the logits' standard deviation over the fit
clips is SPREAD. The consensus is a mean over segments, so a linear head on the segments' features is that head on
the clip's mean feature. Convolution weights are untouched. Clips are read as tools/reference/eval_tsm.py reads them
(centre crop); the checkpoint is written in its own format (legacy or zip) with the same keys. Needs new_fc (a
checkpoint trained with dropout).

Usage: /usr/bin/python3 tools/fit_to_clips.py CHECKPOINT ROOT OUT_CHECKPOINT --frames-dir D --template T --list L
       [--size S] [--spread 3] [--components 8] [--seed 0]
"""
import argparse
import json
import os
import sys
import zipfile

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
from eval_tsm import crop_views, group_scale, load_images, load_model, test_indices, to_tensor  # noqa: E402


def read_clips(root, frames_dir, template, list_file, size, segments, modality):
    new_length = 1 if modality == "RGB" else 5
    channels = 3 * new_length if modality == "RGB" else 2 * new_length
    clips = []
    for vid, n, _ in (l.split() for l in open(os.path.join(root, list_file)) if l.strip()):
        n = int(n) // 2 if template == "{:06d}-{}_{:05d}.jpg" else int(n)
        images = []
        for p in test_indices(n, segments, new_length, "uniform")[0]:
            for _ in range(new_length):
                images += load_images(root, frames_dir, template, vid, p, modality)
                if p < n:
                    p += 1
        images = [group_scale(im, size * 256 // 224) for im in images]
        clips.append(to_tensor(crop_views(images, size, 1, True)[0], modality).view(segments, channels, size, size))
    return torch.stack(clips)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("root")
    ap.add_argument("out")
    ap.add_argument("--frames-dir", required=True)
    ap.add_argument("--template", required=True)
    ap.add_argument("--list", required=True)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--spread", type=float, default=3.0)
    ap.add_argument("--components", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(2)
    model, segments, modality = load_model(a.checkpoint)
    clips = read_clips(a.root, a.frames_dir, a.template, a.list, a.size, segments, modality)
    bns = [m for m in model.modules() if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm3d))]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the fit clips
    model.train()
    with torch.no_grad():
        model(clips)
    model.eval()
    features = []
    hook = model.new_fc.register_forward_hook(lambda mod, inp, out: features.append(inp[0]))
    with torch.no_grad():
        model(clips)
    hook.remove()
    # the head reads the pooled features through the segments' mean (the consensus is linear)
    f = features[0].double().view(len(clips), segments, -1).mean(1)
    mean = f.mean(0)
    _, singular, v = torch.linalg.svd(f - mean, full_matrices=False)
    k = min(a.components, len(clips) - 1)
    # the k principal coordinates as they are: whitening them gave more classes on the flow test's clips (9 instead of
    # 6 of 24) but made the weak directions, which int8 rounding moves most, weigh as much (int8 agreement 16 vs 20)
    directions = v[:k]
    mix = torch.randn(model.new_fc.out_features, k, generator=torch.Generator().manual_seed(a.seed), dtype=torch.float64)
    weight = mix @ directions
    weight *= a.spread / ((f - mean) @ weight.T).std().item()
    bias = -(weight @ mean)
    ckpt = torch.load(a.checkpoint, map_location="cpu")
    sd = ckpt["state_dict"]
    prefix = "module." if any(key.startswith("module.") for key in sd) else ""
    for name, value in model.state_dict().items():
        if name.endswith(("running_mean", "running_var", "num_batches_tracked")):
            sd[prefix + name] = value.clone()
    sd[prefix + "new_fc.weight"] = weight.to(sd[prefix + "new_fc.weight"].dtype)
    sd[prefix + "new_fc.bias"] = bias.to(sd[prefix + "new_fc.bias"].dtype)
    torch.save(ckpt, a.out, _use_new_zipfile_serialization=zipfile.is_zipfile(a.checkpoint))
    explained = (singular[:k] ** 2).sum().item() / (singular ** 2).sum().item()
    print(json.dumps({"clips": len(clips), "components": k, "varianceExplained": explained}))


if __name__ == "__main__":
    main()
