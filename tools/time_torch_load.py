#!/usr/bin/env python3
"""Times torch.load of a file in this process; prints JSON {seconds, peakRssBytes, baselineRssBytes}."""
import json
import resource
import sys
import time

import torch

baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t0 = time.perf_counter()
obj = torch.load(sys.argv[1], map_location="cpu")
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "baselineRssBytes": baseline}))
