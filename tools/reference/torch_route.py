#!/usr/bin/env python3
"""The PyTorch route to ONNX, timed in one process: torch.load + reference model + load_state_dict +
torch.onnx.export. Prints JSON {seconds, loadSeconds, exportSeconds, peakRssBytes, bytes}.

Usage: /usr/bin/python3 tools/reference/torch_route.py CHECKPOINT OUT.onnx ARCH SEGMENTS SHIFT_DIV PLACE NUM_CLASSES
"""
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tsm_models import TSN  # noqa: E402


def main():
    ckpt_path, out, arch, segments, div, place, classes = sys.argv[1:8]
    segments, div, classes = int(segments), int(div), int(classes)
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    ckpt = torch.load(ckpt_path, map_location="cpu")
    t1 = time.perf_counter()
    sd = {k[len("module."):] if k.startswith("module.") else k: v for k, v in ckpt["state_dict"].items()}
    width = sd["base_model.features.0.0.weight"].shape[0] / 32 if arch == "mobilenetv2" else 1.0
    model = TSN(classes, segments, arch, shift_div=div, shift_place=None if place == "none" else place, width_mult=width,
                non_local="_nl." in os.path.basename(ckpt_path))
    model.load_state_dict(sd)
    model.eval()
    dummy = torch.zeros(1, segments, 3, 224, 224)
    t2 = time.perf_counter()
    torch.onnx.export(model, dummy, out, opset_version=13, input_names=["video"], output_names=["logits"],
                      dynamic_axes={"video": {0: "N"}, "logits": {0: "N"}})
    t3 = time.perf_counter()
    print(json.dumps({"seconds": t3 - t0, "loadSeconds": t1 - t0, "exportSeconds": t3 - t2,
                      "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                      "bytes": os.path.getsize(out)}))


if __name__ == "__main__":
    main()
