#!/usr/bin/env python3
"""For each file in DIR: what torch.load reads (sha256 of each state-dict tensor's contiguous bytes, keyed by the name
in the file), or {"error": …} when torch refuses it. Prints one JSON object {file: {name: sha256} | {"error": str}}."""
import hashlib
import json
import os
import sys
import warnings

import torch

warnings.simplefilter("ignore")
out = {}
for f in sorted(os.listdir(sys.argv[1])):
    try:
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
