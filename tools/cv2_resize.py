#!/usr/bin/python3
"""OpenCV side of test/frames/resize-cv2.test.ts (Debian's python3-opencv through /usr/bin/python3), one run a test.

  cv2_resize.py SPEC IN OUT

SPEC (JSON) lists images and what to resize them to:
  "raw":     [{"w", "h", "c"}, …]  images given in IN, their bytes concatenated (uint8, interleaved)
  "sources": [{"jpeg": path} | {"video": path, "every": k, "count": n}, …]  frames decoded here: cv2.imread, or
             cv2.VideoCapture taking every k-th frame from the first, n of them; both then BGR→RGB
  "targets": [{"image": i, "size": [w, h]} | {"image": i, "scale": number or [a, b]}, …]  images numbered raw first,
             then decoded frames in order; "scale" is MMAction2's Resize with keep_ratio=True, the size computed here
             as mmcv.rescale_size does
Each target is cv2.resize(img, size, interpolation=cv2.INTER_LINEAR). Written: OUT.decoded (the decoded frames' RGB
bytes, concatenated), OUT (the resized images, concatenated) and OUT.json {"decoded": [[w, h], …], "resized": [[w, h],
…]}.
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


def decode(source):
    if 'jpeg' in source:
        bgr = cv2.imread(source['jpeg'], cv2.IMREAD_COLOR)
        if bgr is None:
            sys.exit(f'cv2 cannot read {source["jpeg"]}')
        return [cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)]
    capture = cv2.VideoCapture(source['video'])
    frames, index = [], 0
    while len(frames) < source['count']:
        ok, bgr = capture.read()
        if not ok:
            sys.exit(f'{source["video"]} ended after {index} frames, before {source["count"]} were taken')
        if index % source['every'] == 0:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        index += 1
    capture.release()
    return frames


def main(spec_path, in_path, out_path):
    spec = json.load(open(spec_path))
    data = np.fromfile(in_path, np.uint8)
    images, offset = [], 0
    for item in spec.get('raw', []):
        w, h, c = item['w'], item['h'], item['c']
        images.append(data[offset:offset + w * h * c].reshape(h, w, c))
        offset += w * h * c
    if offset != data.size:
        sys.exit(f'{in_path} holds {data.size} bytes, the spec describes {offset}')
    decoded = [frame for source in spec.get('sources', []) for frame in decode(source)]
    with open(out_path + '.decoded', 'wb') as out:
        for frame in decoded:
            out.write(np.ascontiguousarray(frame).tobytes())
    images += decoded
    sizes = []
    with open(out_path, 'wb') as out:
        for target in spec['targets']:
            img = images[target['image']]
            h, w = img.shape[:2]
            size = tuple(target['size']) if 'size' in target else rescale_size(w, h, target['scale'])
            out.write(np.ascontiguousarray(cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)).tobytes())
            sizes.append(list(size))
    json.dump({'decoded': [[f.shape[1], f.shape[0]] for f in decoded], 'resized': sizes}, open(out_path + '.json', 'w'))


if __name__ == '__main__':
    if cv2.__version__ != '4.6.0':
        print(f'note: cv2 {cv2.__version__}; the resize was measured against 4.6.0', file=sys.stderr)
    main(*sys.argv[1:])
