#!/usr/bin/env python3
"""Reference evaluation under MMAction2's test protocol (shared/MMACTION2-FACTS.md §5), cv2 + torch: what
`tsm verify --protocol mmaction2` is checked against.

Per clip: SampleFrames in test mode (start_index 1 for frame folders, 0 for videos, or --start-index), frames decoded
by cv2 (rawframes with cv2.imread, BGR → RGB; videos with cv2.VideoCapture), Resize short side with cv2 INTER_LINEAR
and int(x·sf + 0.5) sizes, Center/Three/TenCrop in MMAction2's order, (x − mean) / std on 0–255 RGB, views crop-major
(tools/reference/mmaction2/mma_pipeline.py makes the clip). The network gives one row of logits a view; then
average_clips: 'prob' = softmax per view, then the mean; 'score' = the mean of the raw logits (torch, float32).

The model is a TSM checkpoint rebuilt from its file name (tools/reference/eval_tsm.py's load_model): the protocol
is about pixels and averaging, and these are the checkpoints tsm's exports are checked against.

Usage: /usr/bin/python3 tools/reference/mma_eval/eval_mma.py CHECKPOINT ROOT OUT.json --list L
       (--frames-dir D --template T | --videos) --size S --short-side R --crop center|three|ten --num-clips N
       [--twice] [--start-index I] [--average prob,score] [--max-num N] [--dump-input FILE]
List lines: `dir total_frames label` for frame folders, `path label` (MMAction2's video list, paths under ROOT) for
--videos. With several averagings OUT must hold `{average}`; each file gets {"clips": [{id, label, prediction,
scores}], "top1", "top5", "protocol"}. --dump-input writes the first clip's input views (float32, [views, T, 3, S, S]).
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "mmaction2"))
from eval_tsm import load_model  # noqa: E402
from mma_pipeline import RawFrames, Video, make_clip  # noqa: E402

CROPS = {"center": "CenterCrop", "three": "ThreeCrop", "ten": "TenCrop"}


def read_list(root, path, videos):
    rows = []
    for line in open(os.path.join(root, path)):
        parts = line.split()
        if not parts:
            continue
        if videos:
            rows.append((parts[0], int(parts[-1]), None))
        else:
            rows.append((parts[0], int(parts[2]), int(parts[1])))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("root")
    ap.add_argument("out")
    ap.add_argument("--list", required=True)
    ap.add_argument("--frames-dir")
    ap.add_argument("--template")
    ap.add_argument("--videos", action="store_true")
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--short-side", type=int, required=True)
    ap.add_argument("--crop", choices=sorted(CROPS), required=True)
    ap.add_argument("--num-clips", type=int, required=True)
    ap.add_argument("--twice", action="store_true")
    ap.add_argument("--start-index", type=int)
    ap.add_argument("--average", default="prob")
    ap.add_argument("--max-num", type=int, default=0)
    ap.add_argument("--dump-input")
    a = ap.parse_args()
    averages = a.average.split(",")
    if len(averages) > 1 and "{average}" not in a.out:
        ap.error("several --average values need {average} in OUT")
    torch.set_num_threads(2)
    model, segments, _ = load_model(a.checkpoint)
    pipeline = dict(num_clips=a.num_clips, clip_len=1, frame_interval=1, twice_sample=a.twice, resize=a.short_side,
                    crop=CROPS[a.crop], crop_size=a.size)
    rows = read_list(a.root, a.list, a.videos)
    if a.max_num:
        rows = rows[:a.max_num]
    results = {avg: [] for avg in averages}
    for k, (vid, label, total) in enumerate(rows):
        if a.videos:
            source = Video(os.path.join(a.root, vid))
        else:
            source = RawFrames(os.path.join(a.root, a.frames_dir, vid), total, a.template)
        if a.start_index is not None:
            source.start_index = a.start_index
        clip, _ = make_clip(source, pipeline, segments)
        if a.dump_input and k == 0:
            clip.tofile(a.dump_input)
        with torch.no_grad():
            logits = model(torch.from_numpy(clip))  # [views, K]
        for avg in averages:
            scores = F.softmax(logits, dim=1).mean(0) if avg == "prob" else logits.mean(0)
            order = scores.argsort(descending=True).tolist()
            results[avg].append({"id": vid, "label": label, "prediction": order[0], "top5": order[:5],
                                 "scores": scores.tolist(), "views": int(logits.shape[0])})
    for avg, clips in results.items():
        n = len(clips)
        top1 = sum(c["prediction"] == c["label"] for c in clips) / n
        top5 = sum(c["label"] in c["top5"] for c in clips) / n
        protocol = dict(pipeline, segments=segments, average_clips=avg, start_index=a.start_index, videos=a.videos)
        with open(a.out.replace("{average}", avg), "w") as f:
            json.dump({"clips": clips, "top1": top1, "top5": top5, "protocol": protocol}, f)
        print(json.dumps({"average": avg, "clips": n, "top1": top1}))


if __name__ == "__main__":
    main()
