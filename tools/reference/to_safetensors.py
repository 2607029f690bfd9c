#!/usr/bin/env python3
"""Writes a checkpoint's state dict as safetensors, by the format's spec (8-byte little-endian header length, JSON
header with dtype/shape/data_offsets and __metadata__, then the tensors' contiguous little-endian bytes in header
order), without the safetensors package.

Usage: /usr/bin/python3 tools/reference/to_safetensors.py CHECKPOINT OUT.safetensors [--strip-module] [--meta k=v ...]
"""
import argparse
import json
import struct

import torch

DTYPES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
          torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--strip-module", action="store_true")
    ap.add_argument("--meta", nargs="*", default=[])
    a = ap.parse_args()
    ckpt = torch.load(a.checkpoint, map_location="cpu")
    sd = ckpt.get("state_dict", ckpt)
    header, blobs, at = {}, [], 0
    for name, t in sd.items():
        if a.strip_module and name.startswith("module."):
            name = name[len("module."):]
        t = t.contiguous()
        data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [at, at + len(data)]}
        blobs.append(data)
        at += len(data)
    if a.meta:
        header["__metadata__"] = dict(kv.split("=", 1) for kv in a.meta)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format pads the header with spaces to 8-byte alignment
    with open(a.out, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    print(json.dumps({"tensors": len(blobs), "bytes": 8 + len(text) + at}))


if __name__ == "__main__":
    main()
