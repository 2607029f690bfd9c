#!/usr/bin/env python3
"""Pillow's BILINEAR resize of an image, as raw RGB bytes: the reference for src/frames/resample.ts.
Usage: /usr/bin/python3 tools/reference/pil_resize.py IN.jpg WIDTH HEIGHT OUT.rgb"""
import sys

from PIL import Image

src, w, h, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
with open(out, "wb") as f:
    f.write(Image.open(src).convert("RGB").resize((w, h), Image.BILINEAR).tobytes())
