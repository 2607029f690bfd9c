#!/usr/bin/env python3
"""PyTorch eager inference time of a TSM checkpoint rebuilt with tools/reference/tsm_models.py.
Usage: /usr/bin/python3 tools/reference/time_eager.py CHECKPOINT ARCH SEGMENTS PLACE BATCH RUNS
Prints JSON {msPerBatch, msPerClip} (median of RUNS after one warm-up, 2 threads)."""
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tsm_models import TSN  # noqa: E402

path, arch, segments, place, batch, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
torch.set_num_threads(2)
ckpt = torch.load(path, map_location="cpu")
sd = {k[len("module."):]: v for k, v in ckpt["state_dict"].items()}
width = sd["base_model.features.0.0.weight"].shape[0] / 32 if arch == "mobilenetv2" else 1.0
model = TSN(sd["new_fc.weight"].shape[0], segments, arch, shift_place=None if place == "none" else place, width_mult=width,
            non_local="_nl." in os.path.basename(path))
model.load_state_dict(sd)
model.eval()
x = torch.randn(batch, segments, 3, 224, 224)
times = []
with torch.no_grad():
    model(x)
    for _ in range(runs):
        t0 = time.perf_counter()
        model(x)
        times.append((time.perf_counter() - t0) * 1000)
ms = statistics.median(times)
print(json.dumps({"msPerBatch": ms, "msPerClip": ms / batch, "torch": torch.__version__, "threads": torch.get_num_threads()}))
