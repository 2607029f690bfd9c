#!/usr/bin/env python3
"""Times reading a safetensors file into torch tensors in this process, the way the safetensors library does it
(header JSON, then one tensor per entry over the file's bytes, no copy), without that package (not in Debian):
prints JSON {seconds, peakRssBytes, baselineRssBytes}."""
import json
import resource
import struct
import sys
import time

import torch

DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
          "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t0 = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    data = bytearray(f.read())
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + n])
buf = memoryview(data)[8 + n:]
tensors = {}
for name, e in header.items():
    if name == "__metadata__":
        continue
    begin, end = e["data_offsets"]
    t = torch.frombuffer(buf[begin:end], dtype=DTYPES[e["dtype"]]) if end > begin else torch.empty(0, dtype=DTYPES[e["dtype"]])
    tensors[name] = t.reshape(e["shape"])
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "baselineRssBytes": baseline, "tensors": len(tensors)}))
