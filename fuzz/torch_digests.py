#!/usr/bin/env python3
"""For each file in DIR: what torch.load reads (sha256 of each state-dict tensor's contiguous bytes, keyed by the name
in the file), or {"error": …} when torch refuses it. Prints one JSON object {file: {name: sha256} | {"error": str}}.
safetensors files (a '{' after the 8-byte length) are read by the format's rules instead: header length within the
file and the 100 MB cap, a JSON object, offsets tiling the data buffer exactly, dtype × shape = size."""
import hashlib
import json
import os
import sys
import warnings

import torch

warnings.simplefilter("ignore")
ITEM = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
        "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "C64": 8}


def read_safetensors(data):
    import struct
    (n,) = struct.unpack("<Q", data[:8])
    if n > 100 * 1024 * 1024 or 8 + n > len(data):
        raise ValueError("header length")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("header")
    buf = data[8 + n:]
    spans, digests = [], {}
    for name, e in header.items():
        if name == "__metadata__":
            if not isinstance(e, dict) or not all(isinstance(v, str) for v in e.values()):
                raise ValueError("metadata")
            continue
        begin, end = e["data_offsets"]
        numel = 1
        for d in e["shape"]:
            if not isinstance(d, int) or isinstance(d, bool) or d < 0:
                raise ValueError("shape")
            numel *= d
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (begin, end)) or not 0 <= begin <= end <= len(buf):
            raise ValueError("offsets")
        if numel * ITEM[e["dtype"]] != end - begin:
            raise ValueError("size")
        spans.append((begin, end))
        digests[name] = hashlib.sha256(buf[begin:end]).hexdigest()
    at = 0
    for begin, end in sorted(spans):
        if begin != at:
            raise ValueError("tiling")
        at = end
    if at != len(buf):
        raise ValueError("tiling")
    return digests


out = {}
for f in sorted(os.listdir(sys.argv[1])):
    try:
        raw = open(os.path.join(sys.argv[1], f), "rb").read()
        if len(raw) >= 9 and raw[8:9] == b"{":
            out[f] = read_safetensors(raw)
            continue
        obj = torch.load(os.path.join(sys.argv[1], f), map_location="cpu", weights_only=True)
        sd = obj
        if isinstance(obj, dict) and not any(isinstance(v, torch.Tensor) for v in obj.values()):
            sd = next(obj[k] for k in ("state_dict", "model", "net", "model_state_dict") if k in obj)
        digests = {}
        for k, v in sd.items():
            if isinstance(v, torch.Tensor):
                t = v.detach().contiguous()
                if t.dtype == torch.bfloat16:
                    t = t.view(torch.int16)
                digests[k] = hashlib.sha256(t.numpy().tobytes()).hexdigest()
        out[f] = digests
    except Exception as e:  # noqa: BLE001 - any refusal counts
        out[f] = {"error": type(e).__name__}
print(json.dumps(out))
