#!/usr/bin/python3
"""OpenCV side of test/frames/resize-cv2.test.ts (Debian's python3-opencv through /usr/bin/python3).

  cv2_resize.py decode SPEC OUT     SPEC: JSON list of sources, each {"jpeg": path} (cv2.imread, BGR→RGB) or
                                    {"video": path, "every": k, "count": n} (cv2.VideoCapture, every k-th frame from
                                    the first, n of them, BGR→RGB). OUT: the RGB bytes of all frames, concatenated;
                                    OUT.json: [[width, height], …] per frame.
  cv2_resize.py resize SPEC IN OUT  SPEC: JSON list of images in IN (concatenated bytes), each {"w", "h", "c"} and
                                    either "size": [w, h] or "scale" (a number or [a, b], MMAction2's Resize with
                                    keep_ratio=True, computed here as mmcv.rescale_size does). Each is resized with
                                    cv2.resize(img, size, interpolation=cv2.INTER_LINEAR); OUT: the results
                                    concatenated; OUT.json: [[width, height], …] per image.
"""
import json
import math
import sys

import cv2
import numpy as np


def rescale_size(w, h, scale):
    # MMAction2's Resize turns a -1 short edge into an infinite long edge; mmcv.rescale_size then takes the factor
    # that fits both edges and rounds each side as int(x * factor + 0.5).
    if isinstance(scale, (int, float)):
        factor = float(scale)
    else:
        long_edge, short_edge = max(scale), min(scale)
        if short_edge == -1:
            long_edge, short_edge = math.inf, long_edge
        factor = min(long_edge / max(h, w), short_edge / min(h, w))
    return int(w * factor + 0.5), int(h * factor + 0.5)


def decode(spec_path, out_path):
    sizes = []
    with open(out_path, 'wb') as out:
        for source in json.load(open(spec_path)):
            if 'jpeg' in source:
                bgr = cv2.imread(source['jpeg'], cv2.IMREAD_COLOR)
                if bgr is None:
                    sys.exit(f'cv2 cannot read {source["jpeg"]}')
                frames = [bgr]
            else:
                capture = cv2.VideoCapture(source['video'])
                frames, index = [], 0
                while len(frames) < source['count']:
                    ok, bgr = capture.read()
                    if not ok:
                        sys.exit(f'{source["video"]} ended after {index} frames, before {source["count"]} were taken')
                    if index % source['every'] == 0:
                        frames.append(bgr)
                    index += 1
                capture.release()
            for bgr in frames:
                out.write(np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)).tobytes())
                sizes.append([bgr.shape[1], bgr.shape[0]])
    json.dump(sizes, open(out_path + '.json', 'w'))


def resize(spec_path, in_path, out_path):
    data = np.fromfile(in_path, np.uint8)
    offset, sizes = 0, []
    with open(out_path, 'wb') as out:
        for item in json.load(open(spec_path)):
            w, h, c = item['w'], item['h'], item['c']
            img = data[offset:offset + w * h * c].reshape(h, w, c)
            offset += w * h * c
            size = tuple(item['size']) if 'size' in item else rescale_size(w, h, item['scale'])
            resized = cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)
            out.write(np.ascontiguousarray(resized).tobytes())
            sizes.append(list(size))
    if offset != data.size:
        sys.exit(f'{in_path} holds {data.size} bytes, the spec describes {offset}')
    json.dump(sizes, open(out_path + '.json', 'w'))


if __name__ == '__main__':
    if cv2.__version__ != '4.6.0':
        print(f'note: cv2 {cv2.__version__}, the resize was measured against 4.6.0', file=sys.stderr)
    {'decode': decode, 'resize': resize}[sys.argv[1]](*sys.argv[2:])
