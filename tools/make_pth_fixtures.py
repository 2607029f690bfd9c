#!/usr/bin/env python3
"""Writes the checkpoint-reader fixtures with real torch.save (Debian python3-torch) and a manifest of what
PyTorch itself reads back, so the TypeScript reader is checked against torch, not against our own belief.

Usage: /usr/bin/python3 tools/make_pth_fixtures.py OUT_DIR [--big MB]
Writes OUT_DIR/<name>.pth files (among them torch zips re-zipped with deflated entries) plus OUT_DIR/manifest.json:
  {file: {format, metadata, tensors: {name: {dtype, shape, sha256}}}}
where sha256 is over the tensor's contiguous little-endian bytes.
"""
import hashlib
import io
import json
import os
import struct
import sys
import zipfile
from collections import OrderedDict

import torch

DTYPE_NAMES = {
    torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16", torch.float64: "float64",
    torch.int64: "int64", torch.int32: "int32", torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8",
    torch.bool: "bool",
}


def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def describe(t):
    return {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "sha256": hashlib.sha256(raw_bytes(t)).hexdigest()}


def dtype_tensors(gen):
    """Every dtype, 0-d and empty tensors, offsets, transposes and shared storage."""
    out = OrderedDict()
    base = torch.randn(4, 6, generator=gen)
    for dt in DTYPE_NAMES:
        if dt == torch.bool:
            out["t_bool"] = base > 0
        elif dt.is_floating_point:
            out["t_" + DTYPE_NAMES[dt]] = (base * 100).to(dt)
        else:
            out["t_" + DTYPE_NAMES[dt]] = (base * 50).to(dt)
    out["scalar_0d"] = torch.tensor(3.25)
    out["long_0d"] = torch.tensor(-7, dtype=torch.int64)
    out["empty"] = torch.zeros(0, 3)
    shared = torch.arange(48, dtype=torch.float32)
    out["shared_whole"] = shared.view(6, 8)
    out["shared_offset"] = shared[10:30].view(4, 5)  # storage offset 10
    out["shared_transposed"] = shared.view(6, 8).t()  # non-contiguous strides
    out["shared_strided"] = shared.view(6, 8)[::2, 1::3]
    out["half_transposed"] = (base * 3).half().t()
    out["big_int64"] = torch.tensor([2 ** 40 + 3, -(2 ** 35)], dtype=torch.int64)
    return out


def small_model_state(gen):
    """A DataParallel-style state dict: conv + bn + fc, keys prefixed with module."""
    conv = torch.nn.Conv2d(3, 4, 3)
    bn = torch.nn.BatchNorm2d(4)
    fc = torch.nn.Linear(4, 5)
    with torch.no_grad():
        for p in list(conv.parameters()) + list(bn.parameters()) + list(fc.parameters()):
            p.copy_(torch.randn(p.shape, generator=gen))
        bn.running_mean.copy_(torch.randn(4, generator=gen))
        bn.running_var.copy_(torch.rand(4, generator=gen) + 0.5)
    sd = OrderedDict()
    for prefix, m in (("base_model.conv1", conv), ("base_model.bn1", bn), ("new_fc", fc)):
        for k, v in m.state_dict().items():
            sd["module." + prefix + "." + k] = v
    return sd


def save(obj, path, legacy):
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)


def to_big_endian_zip(src, dst):
    """Rewrites a torch zip as a big-endian machine would have written it (byteorder 'big', swapped data)."""
    zin = zipfile.ZipFile(src)
    pkl_name = next(n for n in zin.namelist() if n.endswith("data.pkl"))
    prefix = pkl_name[: -len("data.pkl")]
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            name = info.filename
            if name.startswith(prefix + "data/"):
                key = name[len(prefix + "data/"):]
                size = ITEM_SIZE_BY_KEY[key]
                data = b"".join(data[i:i + size][::-1] for i in range(0, len(data), size))
            zout.writestr(name, data)
        zout.writestr(prefix + "byteorder", b"big")


def to_deflated_zip(src, dst, store_incompressible=False):
    """Re-zips a torch zip as a zip tool would: entries deflated (level 9) — with `store_incompressible`, those that
    deflate would not shrink are stored, as Info-ZIP's `zip` does — with fixed timestamps so the file is the same on
    every run. torch.load reads such files (miniz inflates them)."""
    import zlib

    zin = zipfile.ZipFile(src)
    with zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            shrinks = len(packer.compress(data) + packer.flush()) < len(data)
            method = zipfile.ZIP_STORED if store_incompressible and not shrinks else zipfile.ZIP_DEFLATED
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = method
            zout.writestr(entry, data, compress_type=method, compresslevel=9)


ITEM_SIZE_BY_KEY = {}


def storage_item_sizes(path):
    """Maps zip storage keys to item sizes by reading data.pkl's persistent ids with a pickle Unpickler."""
    import pickle

    class Probe(pickle.Unpickler):
        def find_class(self, module, name):
            if module == "torch" and name.endswith("Storage"):
                return name
            if module == "torch._utils":
                return lambda *a: None
            if module == "collections" and name == "OrderedDict":
                return OrderedDict
            raise pickle.UnpicklingError(module + "." + name)

        def persistent_load(self, pid):
            _, cls, key, _, _ = pid
            ITEM_SIZE_BY_KEY[key] = {"FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "DoubleStorage": 8,
                                     "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1,
                                     "ByteStorage": 1, "BoolStorage": 1}[cls]
            return None

    z = zipfile.ZipFile(path)
    pkl = next(n for n in z.namelist() if n.endswith("data.pkl"))
    Probe(io.BytesIO(z.read(pkl))).load()


def manifest_entry(path, fmt):
    obj = torch.load(path)
    tensors = OrderedDict()
    metadata = {}
    sd = obj
    if isinstance(obj, dict) and "state_dict" in obj:
        sd = obj["state_dict"]
        for k, v in obj.items():
            if isinstance(v, (int, float, str, bool)):
                metadata[k] = v
    for k, v in sd.items():
        tensors[k] = describe(v)  # as stored: prefixes such as module. are the key layout's business
    return {"format": fmt, "metadata": metadata, "tensors": tensors}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(1234)
    manifest = OrderedDict()

    dt = dtype_tensors(gen)
    for legacy in (False, True):
        name = "dtypes_%s.pth" % ("legacy" if legacy else "zip")
        save(dt, os.path.join(out, name), legacy)
        manifest[name] = manifest_entry(os.path.join(out, name), "legacy" if legacy else "zip")

    sd = small_model_state(gen)
    ckpt = {"epoch": 25, "arch": "resnet50", "state_dict": sd, "best_prec1": 91.5,
            "optimizer": {"state": {}, "param_groups": [{"lr": 0.01, "momentum": 0.9}]}}
    for legacy in (True, False):
        name = "train_checkpoint_%s.pth.tar" % ("legacy" if legacy else "zip")
        save(ckpt, os.path.join(out, name), legacy)
        manifest[name] = manifest_entry(os.path.join(out, name), "legacy" if legacy else "zip")

    bare = OrderedDict((k[len("module."):], v) for k, v in sd.items())
    save(bare, os.path.join(out, "bare_state_dict.pt"), False)
    manifest["bare_state_dict.pt"] = manifest_entry(os.path.join(out, "bare_state_dict.pt"), "zip")

    storage_item_sizes(os.path.join(out, "dtypes_zip.pth"))
    to_big_endian_zip(os.path.join(out, "dtypes_zip.pth"), os.path.join(out, "dtypes_bigendian.pth"))
    big = manifest_entry(os.path.join(out, "dtypes_zip.pth"), "zip")
    manifest["dtypes_bigendian.pth"] = big

    # re-zipped by a tool: every entry deflated, and a mix (what deflate would not shrink stored, as `zip` does)
    for src, dst, mixed in (("dtypes_zip.pth", "dtypes_deflated.pth", False),
                            ("train_checkpoint_zip.pth.tar", "train_checkpoint_deflated.pth.tar", True)):
        to_deflated_zip(os.path.join(out, src), os.path.join(out, dst), mixed)
        manifest[dst] = manifest_entry(os.path.join(out, dst), "zip")

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)


if __name__ == "__main__":
    main()
