#!/usr/bin/env python3
"""Trains the bundled models on a generated mini Jester train split, on the CPU, in minutes:
a small-width TSM-MobileNetV2 (official shift layout, 8 segments) and the same network as TSN (no shift).
Saves them with real torch.save in the legacy format under TSM file names, like the released files.

Usage: /usr/bin/python3 tools/train_mini.py OUT_DIR [--epochs E] [--train-per-class N] [--width W] [--only tsm|tsn]
Training follows TSM's recipe where it matters here: segment-based random frame sampling, scale short side to 256,
a jittered 224 crop (no flips: a flip would turn Swiping Left into Swiping Right), ImageNet normalisation.
"""
import argparse
import io
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
from jester_synth import GESTURES, JESTER_CLASSES, jpeg_bytes, make_clip  # noqa: E402
from tsm_models import TSN  # noqa: E402

SEGMENTS = 8
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def make_train_set(per_class, seed):
    """Clips as uint8 arrays [frames, 100, 176, 3] after a JPEG round trip (the artefacts the val set has)."""
    rng = np.random.default_rng(seed)
    clips, labels = [], []
    for _ in range(per_class):
        for gesture in GESTURES:
            frames = [np.asarray(Image.open(io.BytesIO(jpeg_bytes(f))).convert("RGB")) for f in make_clip(gesture, rng)]
            clips.append(np.stack(frames))
            labels.append(JESTER_CLASSES.index(gesture))
    return clips, labels


def sample_indices(n, rng):
    """TSM training sampling: one random frame inside each of T equal segments."""
    avg = n // SEGMENTS
    if avg > 0:
        return np.arange(SEGMENTS) * avg + rng.integers(0, avg, size=SEGMENTS)
    return np.sort(rng.integers(0, n, size=SEGMENTS))


def batch_tensor(clips, idx, rng):
    frames = np.stack([clips[i][sample_indices(len(clips[i]), rng)] for i in idx])  # B T H W 3
    b, t, h, w, _ = frames.shape
    x = torch.from_numpy(frames).float().div_(255).permute(0, 1, 4, 2, 3).reshape(b * t, 3, h, w)
    nh, nw = 256, int(256 * w / h)
    x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False)
    top = (nh - 224) // 2 + int(rng.integers(-16, 17))
    left = (nw - 224) // 2 + int(rng.integers(-24, 25))
    x = x[:, :, top:top + 224, left:left + 224]
    x = (x - MEAN) / STD
    return x.reshape(b, t, 3, 224, 224)


def train(kind, clips, labels, epochs, width, out, seed, lr):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = TSN(len(JESTER_CLASSES), SEGMENTS, "mobilenetv2", shift_div=8, shift_place=None if kind == "tsn" else "blockres",
                mbv2_layout="online" if kind == "online" else "official", width_mult=width, dropout=0.5)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps_per_epoch = len(clips) // 8
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.2)
    y_all = torch.tensor(labels)
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(clips))
        correct, seen, t0, loss_sum = 0, 0, time.time(), 0.0
        for s in range(steps_per_epoch):
            idx = order[s * 8:(s + 1) * 8]
            x, y = batch_tensor(clips, idx, rng), y_all[idx]
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(idx)
            loss_sum += loss.item() * len(idx)
        print("%s epoch %d: loss %.3f train acc %.3f (%.0f s)" % (kind, epoch + 1, loss_sum / seen, correct / seen,
                                                                  time.time() - t0), flush=True)
    model.eval()
    if kind == "online":
        # Saved like the online demo's file: a bare MobileNetV2 state dict (features.*, classifier.*), no wrappers.
        bare = {}
        for k, v in model.state_dict().items():
            if k.startswith("base_model.") and not k.startswith("base_model.classifier"):
                bare[k[len("base_model."):].replace(".net.", ".")] = v
            elif k.startswith("new_fc."):
                bare["classifier." + k[len("new_fc."):]] = v
        path = os.path.join(out, "mobilenetv2_jester_online_mini.pth.tar")
        torch.save(bare, path, _use_new_zipfile_serialization=False)
        print("saved", path, flush=True)
        return
    name = ("TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e%d.pth" if kind == "tsm"
            else "TSM_jester_RGB_mobilenetv2_avg_segment8_e%d.pth") % epochs
    wrapped = torch.nn.DataParallel(model)
    torch.save({"epoch": epochs, "arch": "mobilenetv2", "state_dict": wrapped.state_dict(), "best_prec1": 0.0},
               os.path.join(out, name), _use_new_zipfile_serialization=False)
    print("saved", os.path.join(out, name), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--epochs", type=int, default=14)
    ap.add_argument("--train-per-class", type=int, default=32)
    ap.add_argument("--width", type=float, default=0.5)
    ap.add_argument("--only", choices=["tsm", "tsn", "online"], help="online: one-directional shift, saved like the online demo")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--lr", type=float, default=4e-3)
    a = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    clips, labels = make_train_set(a.train_per_class, a.seed)
    print("train set: %d clips (%.0f s)" % (len(clips), time.time() - t0), flush=True)
    for kind in ([a.only] if a.only else ["tsm", "tsn"]):
        train(kind, clips, labels, a.epochs, a.width, a.out, a.seed, a.lr)


if __name__ == "__main__":
    main()
