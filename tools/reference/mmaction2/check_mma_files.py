#!/usr/bin/env python3
"""Reads every checkpoint of a generated MMAction2 reference set back with torch 1.13 and reports what it holds, as
JSON on stdout (for test/reference/mmaction2-refs.test.ts).

Usage: /usr/bin/python3 tools/reference/mmaction2/check_mma_files.py DIR   (DIR holds variants.json)

Per variant: whether torch.load reads it with the full unpickler as it is, and if not, why and whether it does once
the mmengine stand-ins are registered; whether torch.load(weights_only=True) reads it (and its error if not); the
pickle's globals (module, name), read from the opcodes without loading; the top-level and meta keys; the state
dict's keys (in order), shapes, dtypes of num_batches_tracked, parameter count (weights and biases, not BN
statistics); the sha256 of the config text in meta; the type names of meta values and of message_hub scalars.
"""
import hashlib
import io
import json
import os
import pickletools
import sys
import zipfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mma_checkpoints  # noqa: E402

BN_STATS = ("running_mean", "running_var", "num_batches_tracked")


def pickle_globals(path):
    """(module, name) of every GLOBAL in the file's object pickle(s), without unpickling."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            pkl = [n for n in z.namelist() if n.endswith("/data.pkl")]
            streams = [io.BytesIO(z.read(pkl[0]))]
    else:
        # legacy: magic number, protocol version, sys_info, the object, storage keys (then raw storage bytes)
        f = open(path, "rb")
        streams = [f] * 5
    found = []
    for stream in streams:
        for op, arg, _ in pickletools.genops(stream):
            if op.name == "GLOBAL":
                module, name = arg.split(" ", 1)
                found.append([module, name])
    return sorted({tuple(g) for g in found})


def type_name(v):
    t = type(v)
    return f"{t.__module__}.{t.__qualname__}" if t.__module__ != "builtins" else t.__qualname__


def describe(path):
    out = {"zip": zipfile.is_zipfile(path)}
    if out["zip"]:
        with zipfile.ZipFile(path) as z:
            out["zipFolders"] = sorted({n.split("/")[0] for n in z.namelist()})
    out["globals"] = pickle_globals(path)
    try:
        torch.load(path, map_location="cpu", weights_only=True)
        out["weightsOnly"] = {"ok": True}
    except Exception as e:  # noqa: BLE001 - the message is the finding
        out["weightsOnly"] = {"ok": False, "error": f"{type(e).__name__}: {e}"[:400]}
    try:
        obj = torch.load(path, map_location="cpu")
        out["fullLoad"] = {"ok": True}
    except Exception as e:  # noqa: BLE001
        out["fullLoad"] = {"ok": False, "error": f"{type(e).__name__}: {e}"[:400]}
        mma_checkpoints.install_mmengine_standins()
        try:
            obj = torch.load(path, map_location="cpu")
        finally:  # the next file is read as it is again
            for name in ("mmengine.logging.history_buffer", "mmengine.logging", "mmengine"):
                sys.modules.pop(name, None)
        out["fullLoad"]["okWithStandins"] = True
    sd = obj["state_dict"] if "state_dict" in obj else obj
    out["topKeys"] = list(obj.keys()) if "state_dict" in obj else None
    out["stateDictType"] = type_name(sd)
    out["hasMetadata"] = hasattr(sd, "_metadata")
    out["metadataModules"] = sorted({k.split(".")[0] for k in getattr(sd, "_metadata", {}) if k})
    out["keys"] = list(sd.keys())
    out["shapes"] = {k: list(v.shape) for k, v in sd.items()}
    out["params"] = sum(v.numel() for k, v in sd.items() if not k.endswith(BN_STATS))
    tracked = [v for k, v in sd.items() if k.endswith("num_batches_tracked")]
    out["numBatchesTracked"] = sorted({f"{v.dtype}/{v.dim()}" for v in tracked})
    out["dtypes"] = sorted({str(v.dtype) for k, v in sd.items() if not k.endswith("num_batches_tracked")})
    meta = obj.get("meta") if "state_dict" in obj else None
    if meta is not None:
        out["metaKeys"] = list(meta.keys())
        out["metaTypes"] = {k: type_name(v) for k, v in meta.items()}
        text = meta.get("cfg", meta.get("config"))
        out["configSha256"] = hashlib.sha256(text.encode()).hexdigest() if isinstance(text, str) else None
        if "hook_msgs" in meta:
            out["hookMsgs"] = {k: type_name(v) for k, v in meta["hook_msgs"].items()}
        out["datasetMeta"] = meta.get("dataset_meta", "absent")
        out["metaScalars"] = {k: v for k, v in meta.items() if isinstance(v, (int, str)) and k not in ("cfg", "config", "env_info")}
    if "message_hub" in obj:
        hub = obj["message_hub"]
        out["messageHub"] = {"keys": list(hub.keys()),
                             "logScalars": {k: type_name(v) for k, v in hub["log_scalars"].items()},
                             "runtimeInfo": {k: type_name(v) for k, v in hub["runtime_info"].items()}}
    if "optimizer" in obj:
        out["optimizerStates"] = len(obj["optimizer"]["state"])
    if "param_schedulers" in obj:
        out["paramSchedulers"] = len(obj["param_schedulers"])
    return out


def main():
    root = sys.argv[1]
    index = json.load(open(os.path.join(root, "variants.json")))
    report = {vid: describe(os.path.join(root, info["file"])) for vid, info in index.items()}
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
