#!/usr/bin/env python3
"""The upstream way to extract frames (tools/vid2img_kinetics.py, docs/upstream-tsm-family.md §4), for bench:prepare: a
multiprocessing Pool hands each video to one `ffmpeg -threads 1 -vf scale=-1:331 -q:v 0 img_%05d.jpg` process.

Usage: /usr/bin/python3 tools/reference/vid2img_pool.py FFMPEG SRC_DIR DST_DIR POOL_SIZE
Prints JSON {"videos", "seconds"}.
"""
import json
import os
import subprocess
import sys
import time
from multiprocessing import Pool

FFMPEG, SRC, DST, N = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def extract(name):
    out = os.path.join(DST, name[:-4])
    os.makedirs(out, exist_ok=True)
    subprocess.call([FFMPEG, "-nostdin", "-i", os.path.join(SRC, name), "-threads", "1", "-vf", "scale=-1:331", "-q:v", "0",
                     os.path.join(out, "img_%05d.jpg")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    names = sorted(f for f in os.listdir(SRC) if ".mp4" in f)
    t0 = time.perf_counter()
    with Pool(N) as p:
        for _ in p.imap_unordered(extract, names):
            pass
    print(json.dumps({"videos": len(names), "seconds": time.perf_counter() - t0}))
