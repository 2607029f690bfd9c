#!/usr/bin/env python3
"""Deflated torch checkpoints for the zip reader's tests, made as a zip tool would re-zip them (Python's zipfile,
ZIP_DEFLATED) from real torch.save files, and read back with torch.load to show torch accepts them.

Usage: /usr/bin/python3 tools/make_deflated.py OUT_DIR SRC.pth
Writes OUT_DIR/rezipped.pth (SRC re-zipped, every entry deflated) and OUT_DIR/zeros.pth (a state dict with 16 MB of
zeros: deflate's ~1000:1 ratio, a legitimate file that is also the shape of a deflate bomb), and prints what
torch.load reads from each: {file: {name: sha256 of the tensor's contiguous little-endian bytes}}. (Plain torch.load:
torch 1.13's weights_only unpickler cannot read torch 2.x training checkpoints, e.g. their BINFLOAT opcodes.)
"""
import hashlib
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_pth_fixtures import raw_bytes, to_deflated_zip  # noqa: E402


def main():
    out, src = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    to_deflated_zip(src, os.path.join(out, "rezipped.pth"))
    plain = os.path.join(out, "zeros-stored.pth")
    torch.save({"w": torch.zeros(4_000_000), "b": torch.arange(5, dtype=torch.float32)}, plain)
    to_deflated_zip(plain, os.path.join(out, "zeros.pth"))
    os.remove(plain)
    digests = {}
    for name in ("rezipped.pth", "zeros.pth"):
        obj = torch.load(os.path.join(out, name), map_location="cpu")  # raises if torch refuses it
        sd = obj.get("state_dict", obj)
        digests[name] = {k: hashlib.sha256(raw_bytes(v)).hexdigest() for k, v in sd.items() if isinstance(v, torch.Tensor)}
    print(json.dumps(digests))


if __name__ == "__main__":
    main()
