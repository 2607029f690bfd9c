"""Synthetic Jester-style gesture clips whose class depends on motion direction and time order.

A clip is a static, lightly textured background with one "hand" (a skin-toned ellipse) or two "fingers" (small
ellipses), which rest, move during the middle of the clip, and rest again. Reversing a clip turns Swiping Left into
Swiping Right, Zooming In into Zooming Out, and so on, while the set of frames stays the same: a model that averages
frames without temporal reasoning (TSN) cannot tell such pairs apart; TSM can.
"""
import io

import numpy as np
from PIL import Image

JESTER_CLASSES = [
    "Doing other things", "Drumming Fingers", "No gesture", "Pulling Hand In", "Pulling Two Fingers In",
    "Pushing Hand Away", "Pushing Two Fingers Away", "Rolling Hand Backward", "Rolling Hand Forward", "Shaking Hand",
    "Sliding Two Fingers Down", "Sliding Two Fingers Left", "Sliding Two Fingers Right", "Sliding Two Fingers Up",
    "Stop Sign", "Swiping Down", "Swiping Left", "Swiping Right", "Swiping Up", "Thumb Down", "Thumb Up",
    "Turning Hand Clockwise", "Turning Hand Counterclockwise", "Zooming In With Full Hand",
    "Zooming In With Two Fingers", "Zooming Out With Full Hand", "Zooming Out With Two Fingers",
]

# The classes the mini set uses: four direction pairs plus two classes without direction.
GESTURES = [
    "Swiping Left", "Swiping Right", "Swiping Up", "Swiping Down",
    "Zooming In With Full Hand", "Zooming Out With Full Hand",
    "Sliding Two Fingers Left", "Sliding Two Fingers Right",
    "No gesture", "Doing other things",
]

WIDTH, HEIGHT = 176, 100


def _background(rng):
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    base = rng.uniform(40, 150, size=3)
    gx, gy = rng.uniform(-0.4, 0.4, size=2)
    bg = base[None, None, :] + (gx * xx + gy * yy)[..., None]
    # a few soft blobs of furniture
    for _ in range(3):
        cx, cy, r = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT), rng.uniform(10, 40)
        shade = rng.uniform(-40, 40, size=3)
        bg += shade[None, None, :] * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))[..., None]
    return bg


def _ellipse(canvas, cx, cy, rx, ry, colour):
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    d = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
    alpha = np.clip(1.5 - d, 0, 1)[..., None]  # soft edge
    canvas[:] = canvas * (1 - alpha) + colour[None, None, :] * alpha


def _progress(n, rng):
    """Per-frame motion progress in [0, 1]: rest, move (smoothly), rest."""
    start = rng.uniform(0.15, 0.3)
    end = rng.uniform(0.7, 0.85)
    t = (np.arange(n) + 0.5) / n
    p = np.clip((t - start) / (end - start), 0, 1)
    return 0.5 - 0.5 * np.cos(np.pi * p)


def make_clip(gesture, rng):
    """Returns a list of HxWx3 uint8 frames (30–40 of them) for one clip of `gesture`."""
    n = int(rng.integers(30, 41))
    bg = _background(rng)
    skin = np.array([rng.uniform(170, 235), rng.uniform(120, 180), rng.uniform(90, 150)], dtype=np.float32)
    p = _progress(n, rng)
    cx0, cy0 = WIDTH / 2 + rng.uniform(-15, 15), HEIGHT / 2 + rng.uniform(-10, 10)
    travel_x, travel_y = rng.uniform(50, 70), rng.uniform(28, 36)
    r = rng.uniform(13, 17)
    frames = []
    wander = np.cumsum(rng.normal(0, 3, size=(n, 2)), axis=0)
    for i in range(n):
        canvas = bg + rng.normal(0, 3, size=bg.shape).astype(np.float32)
        jx, jy = rng.normal(0, 0.7, size=2)
        s = p[i] - 0.5  # -0.5 .. 0.5
        if gesture in ("Swiping Left", "Swiping Right"):
            sign = -1 if gesture == "Swiping Left" else 1
            _ellipse(canvas, cx0 + sign * s * travel_x + jx, cy0 + jy, r, r * 1.25, skin)
        elif gesture in ("Swiping Up", "Swiping Down"):
            sign = -1 if gesture == "Swiping Up" else 1
            _ellipse(canvas, cx0 + jx, cy0 + sign * s * travel_y + jy, r, r * 1.25, skin)
        elif gesture.startswith("Zooming"):
            grow = p[i] if "In" in gesture else 1 - p[i]
            rr = 7 + grow * 22
            _ellipse(canvas, cx0 + jx, cy0 + jy, rr, rr * 1.2, skin)
        elif gesture.startswith("Sliding Two Fingers"):
            sign = -1 if gesture.endswith("Left") else 1
            x = cx0 + sign * s * travel_x * 0.8 + jx
            for dy in (-7, 7):
                _ellipse(canvas, x, cy0 + dy + jy, 8, 4.5, skin)
        elif gesture == "No gesture":
            _ellipse(canvas, cx0 + jx, cy0 + jy, r, r * 1.25, skin)
        elif gesture == "Doing other things":
            _ellipse(canvas, cx0 + wander[i, 0] + jx, cy0 + wander[i, 1] * 0.5 + jy, r * 0.9, r * 1.1, skin * 0.9)
        else:
            raise ValueError(gesture)
        frames.append(np.clip(canvas, 0, 255).astype(np.uint8))
    return frames


def jpeg_bytes(frame, quality=80):
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()
