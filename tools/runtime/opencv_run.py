#!/usr/bin/env python3
"""Runs an ONNX model in OpenCV's DNN module (cv2.dnn.readNetFromONNX, CPU) for the tests' runtime matrix: test-side
only, like torch. One job a call: load the model once, then run its steps in order; each step sets the named inputs
(raw little-endian float32 files) and forwards the named outputs. `carry` feeds an output of one step to an input of
the next (an online model's shift buffers: zeros before the first step).

Usage: /usr/bin/python3 tools/runtime/opencv_run.py JOB.json
JOB: {"model", "threads", "outputs": [names], "steps": [{"inputs": {name: {"file", "shape"}}}],
      "carry": [{"from": output, "to": input, "shape"}], "out": folder}
Writes OUT/step<i>.<output>.f32 for every step and output; prints one JSON line: {"opencv", "ms": [per step]}, or
{"error": message} (exit 3) when OpenCV cannot load or run the model.
"""
import json
import os
import sys
import time

import cv2
import numpy as np


def main():
    job = json.load(open(sys.argv[1]))
    cv2.setNumThreads(int(job.get("threads", 1)))
    try:
        net = cv2.dnn.readNetFromONNX(job["model"])
    except cv2.error as e:
        print(json.dumps({"error": "load: " + str(e).strip()}))
        sys.exit(3)
    carried = {c["to"]: np.zeros(c["shape"], dtype=np.float32) for c in job.get("carry", [])}
    times = []
    for i, step in enumerate(job["steps"]):
        inputs = {name: np.fromfile(x["file"], dtype="<f4").reshape(x["shape"]) for name, x in step["inputs"].items()}
        inputs.update(carried)
        try:
            started = time.perf_counter()
            for name, value in inputs.items():
                net.setInput(value, name)
            outs = net.forward(job["outputs"])
            times.append((time.perf_counter() - started) * 1000)
        except cv2.error as e:
            print(json.dumps({"error": "step %d: %s" % (i, str(e).strip())}))
            sys.exit(3)
        by_name = dict(zip(job["outputs"], outs))
        for name, value in by_name.items():
            np.ascontiguousarray(value, dtype="<f4").tofile(os.path.join(job["out"], "step%d.%s.f32" % (i, name)))
        carried = {c["to"]: by_name[c["from"]].copy() for c in job.get("carry", [])}
    print(json.dumps({"opencv": cv2.__version__, "ms": times}))


if __name__ == "__main__":
    main()
