#!/usr/bin/env python3
"""The hostile corpus: checkpoints that attack a loader through every route a pickle or a zip offers.

Usage: /usr/bin/python3 tools/make_hostile_corpus.py OUT_DIR
Writes OUT_DIR/<name>.pth and OUT_DIR/corpus.json: {file: {route, expect: {code, global?, opcode?}, marker?, live}}.
Pickles are assembled opcode by opcode (Lib/pickletools.py names) and wrapped as a torch zip checkpoint (data.pkl) or
as a legacy stream. `live: true` means Python's own pickle runs the payload (checked here: the marker appears), so a
loader that refuses it is refusing real code execution.
"""
import io
import json
import os
import pickle
import struct
import sys
import zipfile

MARKERS = os.environ.get("TSM_HOSTILE_MARKERS", "/tmp/tsm-hostile-markers")
LEGACY_MAGIC = b"\x80\x02\x8a\x0a" + (0x1950a86a20f9469cfc6c).to_bytes(10, "little") + b"."


def u(s):  # SHORT_BINUNICODE
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def binunicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def glob(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def tensor_pickle(inner_storage=None, rebuild=("torch._utils", "_rebuild_tensor_v2"), storage_cls=("torch", "FloatStorage"),
                  extra_arg=b""):
    """{'state_dict': {'w': <tensor>}} with a 2×2 float storage '0'; parts replaceable for attacks."""
    storage = inner_storage or (b"(" + binunicode("storage") + glob(*storage_cls) + binunicode("0") + binunicode("cpu")
                                + b"K\x04t" + b"Q")
    tensor = (glob(*rebuild) + b"(" + storage + b"K\x00" + b"K\x02K\x02\x86" + b"K\x02K\x01\x86" + b"\x89"
              + glob("collections", "OrderedDict") + b")R" + extra_arg + b"tR")
    return b"\x80\x02}(" + binunicode("state_dict") + b"}(" + binunicode("w") + tensor + b"uu."


def wrap_zip(pkl, name="archive"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(name + "/data.pkl", pkl)
        z.writestr(name + "/data/0", struct.pack("<4f", 1, 2, 3, 4))
        z.writestr(name + "/version", b"3\n")
    return buf.getvalue()


def wrap_legacy(pkl):
    # magic, protocol version, sys_info, main pickle, storage keys, storages
    sys_info = pickle.dumps({"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    keys = pickle.dumps(["0"], protocol=2)
    return LEGACY_MAGIC + pickle.dumps(1001, protocol=2) + sys_info + pkl + keys + struct.pack("<q", 4) + struct.pack("<4f", 1, 2, 3, 4)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    os.makedirs(MARKERS, exist_ok=True)
    corpus = {}

    def add(name, data, route, code, live_pickle=None, **expect):
        path = os.path.join(out, name)
        with open(path, "wb") as f:
            f.write(data)
        entry = {"route": route, "expect": dict(code=code, **expect), "live": False}
        if live_pickle is not None:
            marker = os.path.join(MARKERS, name)
            if os.path.exists(marker):
                os.remove(marker)
            try:
                pickle.loads(live_pickle)
            except Exception:
                pass
            entry["live"] = os.path.exists(marker)
            entry["marker"] = marker
            if os.path.exists(marker):
                os.remove(marker)
        corpus[name] = entry

    def touch(name):
        return "touch " + os.path.join(MARKERS, name)

    # 1. GLOBAL + REDUCE in the main pickle
    for fmt, wrap in (("zip", wrap_zip), ("legacy", wrap_legacy)):
        name = "global_reduce_os_system_%s.pth" % fmt
        evil = b"\x80\x02" + glob("os", "system") + binunicode(touch(name)) + b"\x85R."
        add(name, wrap(evil), "GLOBAL os.system + REDUCE", "E_UNSAFE_GLOBAL", evil, **{"global": "os.system"})
    # 2. STACK_GLOBAL (protocol 4) + REDUCE
    name = "stack_global_reduce.pth"
    evil = b"\x80\x04" + u("os") + u("system") + b"\x93" + binunicode(touch(name)) + b"\x85R."
    add(name, wrap_zip(evil), "STACK_GLOBAL os.system + REDUCE", "E_UNSAFE_GLOBAL", evil, **{"global": "os.system"})
    # 3. INST (protocol 0 class instantiation)
    name = "inst_os_system.pth"
    evil = b"(" + binunicode(touch(name)) + b"ios\nsystem\n."
    add(name, wrap_zip(evil), "INST os.system", "E_UNSAFE_OPCODE", evil, opcode="INST")
    # 4. OBJ with an allowed class: the opcode itself is refused
    name = "obj_opcode.pth"
    evil = b"\x80\x02(" + glob("collections", "OrderedDict") + b"o."
    add(name, wrap_zip(evil), "OBJ", "E_UNSAFE_OPCODE", opcode="OBJ")
    # 5. NEWOBJ / NEWOBJ_EX
    name = "newobj.pth"
    evil = b"\x80\x02" + glob("collections", "OrderedDict") + b")\x81."
    add(name, wrap_zip(evil), "NEWOBJ", "E_UNSAFE_OPCODE", opcode="NEWOBJ")
    name = "newobj_ex.pth"
    evil = b"\x80\x04" + glob("collections", "OrderedDict") + b")}\x92."
    add(name, wrap_zip(evil), "NEWOBJ_EX", "E_UNSAFE_OPCODE", opcode="NEWOBJ_EX")
    # 6. BUILD reaching __setstate__ of a foreign class
    name = "build_setstate.pth"
    evil = b"\x80\x02" + glob("argparse", "Namespace") + b")R}" + binunicode("x") + b"K\x01sb."
    add(name, wrap_zip(evil), "REDUCE + BUILD of argparse.Namespace", "E_UNSAFE_GLOBAL", **{"global": "argparse.Namespace"})
    # 7. extension registry codes
    for op, code, label in ((b"\x82\x01", "EXT1", "ext1"), (b"\x83\x01\x00", "EXT2", "ext2"), (b"\x84\x01\x00\x00\x00", "EXT4", "ext4")):
        name = "%s.pth" % label
        add(name, wrap_zip(b"\x80\x02" + op + b"."), code, "E_UNSAFE_OPCODE", opcode=code)
    # 8. a REDUCE nested inside a tensor rebuild's arguments
    name = "nested_reduce_in_rebuild.pth"
    nested = glob("os", "system") + binunicode(touch(name)) + b"\x85R"
    add(name, wrap_zip(tensor_pickle(extra_arg=nested)), "os.system REDUCE inside _rebuild_tensor_v2 args", "E_UNSAFE_GLOBAL", **{"global": "os.system"})
    # 9. the rebuild function swapped for another global
    name = "rebuild_swapped.pth"
    add(name, wrap_zip(tensor_pickle(rebuild=("torch", "load"))), "torch.load in place of _rebuild_tensor_v2", "E_UNSAFE_GLOBAL", **{"global": "torch.load"})
    name = "storage_class_swapped.pth"
    add(name, wrap_zip(tensor_pickle(storage_cls=("builtins", "exec"))), "builtins.exec as the storage class", "E_UNSAFE_GLOBAL", **{"global": "builtins.exec"})
    name = "copyreg_reconstructor.pth"
    evil = b"\x80\x02" + glob("copyreg", "_reconstructor") + b"(" + glob("os", "system") + b"ttR."
    add(name, wrap_zip(evil), "copyreg._reconstructor", "E_UNSAFE_GLOBAL", **{"global": "copyreg._reconstructor"})
    # 10. persistent ids that are not storages
    name = "persid_not_storage.pth"
    bad_storage = b"(" + binunicode("module") + binunicode("os") + b"tQ"
    add(name, wrap_zip(tensor_pickle(inner_storage=bad_storage)), "BINPERSID ('module', 'os')", "E_BAD_PERSISTENT_ID")
    name = "persid_text.pth"
    add(name, wrap_zip(b"\x80\x02Pos.system\n."), "PERSID (text form)", "E_UNSAFE_OPCODE", opcode="PERSID")
    name = "persid_path_key.pth"
    traversal = b"(" + binunicode("storage") + glob("torch", "FloatStorage") + binunicode("../../etc/passwd") + binunicode("cpu") + b"K\x04tQ"
    add(name, wrap_zip(tensor_pickle(inner_storage=traversal)), "storage key with a path", "E_BAD_PERSISTENT_ID")

    # --- resource attacks ---
    name = "numel_beyond_bytes.pth"
    huge = b"(" + binunicode("storage") + glob("torch", "FloatStorage") + binunicode("0") + binunicode("cpu") + b"\x8a\x05\x00\x00\x00\x00\x01tQ"
    add(name, wrap_zip(tensor_pickle(inner_storage=huge)), "storage declares 2^32 elements, holds 4", "E_TRUNCATED")
    name = "negative_size.pth"
    neg = tensor_pickle().replace(b"K\x02K\x02\x86", b"J\xfe\xff\xff\xffK\x02\x86", 1)
    add(name, wrap_zip(neg), "negative size", "E_CORRUPT")
    name = "stride_overflow.pth"
    big_stride = tensor_pickle().replace(b"K\x02K\x01\x86", b"J\xff\xff\xff\x7fK\x01\x86", 1)
    add(name, wrap_zip(big_stride), "stride reaching past the storage", "E_CORRUPT")
    name = "offset_overflow.pth"
    add(name, wrap_zip(tensor_pickle().replace(b"QK\x00", b"QJ\x00\x00\x00\x40", 1)), "storage offset past the storage", "E_CORRUPT")
    name = "deep_nesting.pth"
    add(name, wrap_zip(b"\x80\x02" + b"]" * 200000 + b"."), "200,000 nested lists", "E_NO_STATE_DICT")
    name = "deep_marks.pth"
    add(name, wrap_zip(b"\x80\x02" + b"(" * 200000 + b"."), "200,000 MARKs", "E_CORRUPT")
    name = "huge_memo_index.pth"
    add(name, wrap_zip(b"\x80\x02}r\xff\xff\xff\xffj\xff\xff\xff\xff."), "memo index 2^32-1", "E_NO_STATE_DICT")
    name = "legacy_count_huge.pth"
    legacy = bytearray(wrap_legacy(tensor_pickle()))
    pos = legacy.rfind(struct.pack("<q", 4))
    legacy[pos:pos + 8] = struct.pack("<q", 2 ** 40)
    add(name, bytes(legacy), "legacy storage record declares 2^40 elements", "E_CORRUPT")
    # zip structure
    good = wrap_zip(tensor_pickle())
    name = "zip_bzip2.pth"  # deflate (method 8) is read, as torch reads it; other methods are not
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_BZIP2) as z:
        z.writestr("archive/data.pkl", tensor_pickle())
        z.writestr("archive/data/0", struct.pack("<4f", 1, 2, 3, 4))
    add(name, buf.getvalue(), "bzip2-compressed entries", "E_ZIP_COMPRESSED")
    name = "zip_deflate_bomb.pth"  # 64 MiB of zeros deflated to ~64 KiB, declared as the 16 bytes the pickle needs
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", tensor_pickle())
        z.writestr("archive/data/0", bytes(64 << 20))
    data = bytearray(buf.getvalue())
    cd = data.rfind(b"PK\x01\x02")  # last central entry (data/0): patch its uncompressed size
    data[cd + 24:cd + 28] = struct.pack("<I", 16)
    add(name, bytes(data), "deflate stream that inflates far past its declared size", "E_BAD_DEFLATE")
    name = "zip_deflate_claim.pth"
    data = bytearray(buf.getvalue())
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24:cd + 28] = struct.pack("<I", 0xfffffff0)  # ~4 GiB claimed for ~64 KiB of deflate
    add(name, bytes(data), "declared size deflate cannot make of the data", "E_BAD_DEFLATE")
    name = "zip_duplicate_entry.pth"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", tensor_pickle())
        z.writestr("archive/data/0", struct.pack("<4f", 1, 2, 3, 4))
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z.writestr("archive/data/0", struct.pack("<4f", 5, 6, 7, 8))
    add(name, buf.getvalue(), "duplicate entry names", "E_BAD_ZIP")
    name = "zip_size_mismatch.pth"
    data = bytearray(good)
    cd = data.rfind(b"PK\x01\x02")  # last central entry: patch its uncompressed size
    data[cd + 24:cd + 28] = struct.pack("<I", 999)
    add(name, bytes(data), "central directory sizes disagree", "E_BAD_ZIP")
    name = "zip_traversal_name.pth"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../../../tmp/evil/data.pkl", tensor_pickle())
        z.writestr("../../../tmp/evil/data/0", struct.pack("<4f", 1, 2, 3, 4))
    add(name, buf.getvalue(), "entry names with ../", "E_BAD_ZIP")
    name = "zip_eocd_offset.pth"
    data = bytearray(good)
    eocd = data.rfind(b"PK\x05\x06")
    data[eocd + 16:eocd + 20] = struct.pack("<I", 0xfffffff0)
    add(name, bytes(data), "central directory offset past the end", "E_BAD_ZIP")
    name = "zip64_locator_missing.pth"
    data = bytearray(good)
    data[eocd + 10:eocd + 12] = b"\xff\xff"
    add(name, bytes(data), "zip64 marker without a zip64 record", "E_BAD_ZIP")

    with open(os.path.join(out, "corpus.json"), "w") as f:
        json.dump(corpus, f, indent=1)
    live = [k for k, v in corpus.items() if v.get("live")]
    print("%d hostile files, %d proven live under Python's pickle" % (len(corpus), len(live)))


if __name__ == "__main__":
    main()
