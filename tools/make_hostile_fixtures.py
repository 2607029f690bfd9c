#!/usr/bin/env python3
"""Writes checkpoints whose pickles try to run code, each touching a marker file if it ever runs.

Usage: /usr/bin/python3 tools/make_hostile_fixtures.py OUT_DIR
Writes OUT_DIR/<attack>_<legacy|zip>.pth and OUT_DIR/hostile.json: {file: {global, marker}}.
Before writing the manifest it proves each file is live: Python's own unpickler (torch.load with
weights_only=False) runs it and the marker appears; the marker is then removed.
"""
import json
import io
import pickletools
import os
import subprocess
import sys
import zipfile
from collections import OrderedDict

import torch

MARKER_DIR = os.environ.get("TSM_HOSTILE_MARKERS", "/tmp/tsm-hostile-markers")


class Attack:
    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def attacks(marker):
    return {
        "os_system": (os.system, ("touch " + marker,)),
        "builtins_eval": (eval, ("open(%r, 'w').write('ran')" % marker,)),
        "subprocess_popen": (subprocess.Popen, (["touch", marker],)),
    }


def pickled_global(path):
    """The first non-torch global the file's pickle names, as written (protocol 2 writes Python 2 names:
    builtins.eval is pickled as __builtin__.eval, subprocess.Popen as commands.Popen)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"PK":
        z = zipfile.ZipFile(path)
        data = z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))
    stream = io.BytesIO(data)
    while stream.tell() < len(data):
        for op, arg, _ in pickletools.genops(stream):
            if op.name == "GLOBAL" and not arg.startswith(("torch", "collections")):
                return arg.replace(" ", ".")
            if op.name == "STOP":
                break
        else:
            break
    raise AssertionError("no foreign global in " + path)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    os.makedirs(MARKER_DIR, exist_ok=True)
    manifest = OrderedDict()
    for fmt in ("legacy", "zip"):
        for name in ("os_system", "builtins_eval", "subprocess_popen"):
            marker = os.path.join(MARKER_DIR, "%s_%s" % (name, fmt))
            func, args = attacks(marker)[name]
            weights = OrderedDict(weight=torch.ones(2, 2))
            obj = {"epoch": 1, "state_dict": weights, "payload": Attack(func, args)}
            path = os.path.join(out, "%s_%s.pth" % (name, fmt))
            torch.save(obj, path, _use_new_zipfile_serialization=(fmt == "zip"))
            # Prove the file is live: Python's unpickler runs the payload.
            if os.path.exists(marker):
                os.remove(marker)
            torch.load(path)
            for _ in range(50):
                if os.path.exists(marker):
                    break
                import time
                time.sleep(0.05)
            assert os.path.exists(marker), "payload of %s did not run under torch.load" % path
            os.remove(marker)
            manifest[os.path.basename(path)] = {"global": pickled_global(path), "marker": marker}
    with open(os.path.join(out, "hostile.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
