#!/usr/bin/env python3
"""Reference for online (streaming) export: a bare MobileNetV2 state dict laid out like the online demo's
mobilenetv2_jester_online.pth.tar, and a PyTorch streaming run over a clip, frame by frame, with the demo's
one-directional shift buffers (zeros at the start). Also checks, in PyTorch, that an offline model with the
one-directional shift gives the same per-frame logits as the streaming run.

Usage: /usr/bin/python3 tools/reference/make_online.py OUT_DIR [FRAMES]
Writes OUT_DIR/mobilenetv2_jester_online.pth.tar, frames.f32 [F, 3, 224, 224], logits.f32 [F, 27], online.json.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tsm_models import InvertedResidual, MobileNetV2, TemporalShift, randomize  # noqa: E402

SIZE = 224


def shifted_blocks(model):
    return [i for i, m in enumerate(model.features) if isinstance(m, InvertedResidual) and m.use_res_connect and len(m.conv) == 8]


def stream(model, frames):
    """Frame-by-frame inference: each shifted block's input keeps its first C/8 channels for the next frame."""
    shifted = set(shifted_blocks(model))
    buffers = {}
    outputs = []
    with torch.no_grad():
        for frame in frames:
            x = frame.unsqueeze(0)
            for i, m in enumerate(model.features):
                if i in shifted:
                    c = x.shape[1]
                    fold = c // 8
                    prev = buffers.get(i, torch.zeros_like(x[:, :fold]))
                    buffers[i] = x[:, :fold]
                    x = x + m.conv(torch.cat((prev, x[:, fold:]), dim=1))
                else:
                    x = m(x)
            outputs.append(model.classifier(x.mean(3).mean(2)))
    return torch.cat(outputs), [(i, list(buffers[i].shape)) for i in sorted(shifted)]


def offline_one_directional(model, frames):
    """The same network as an offline TSM whose shift takes only from the past: per-frame logits over the clip."""
    import copy
    m = copy.deepcopy(model)
    for i in shifted_blocks(m):
        m.features[i].conv[0] = TemporalShift(m.features[i].conv[0], len(frames), 8, online=True)
    with torch.no_grad():
        return m.classifier(m.features(frames).mean(3).mean(2))


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(8)
    model = MobileNetV2(n_class=27)
    randomize(model, g, torch.randn(4, 3, SIZE, SIZE, generator=g)).eval()
    with torch.no_grad():
        spread = model(torch.randn(4, 3, SIZE, SIZE, generator=g)).std().item()
        model.classifier.weight.mul_(2.0 / spread)
        model.classifier.bias.mul_(2.0 / spread)
    torch.save(model.state_dict(), os.path.join(out, "mobilenetv2_jester_online.pth.tar"), _use_new_zipfile_serialization=False)
    frames = torch.randn(n, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(99))
    logits, buffers = stream(model, frames)
    offline = offline_one_directional(model, frames)
    delta = (logits - offline).abs().max().item()
    assert delta < 1e-4, "streaming and offline one-directional TSM disagree by %g" % delta
    frames.numpy().astype("<f4").tofile(os.path.join(out, "frames.f32"))
    logits.numpy().astype("<f4").tofile(os.path.join(out, "logits.f32"))
    json.dump({"frames": n, "classes": 27, "buffers": buffers, "streamingVsOfflineMaxDelta": delta},
              open(os.path.join(out, "online.json"), "w"))
    print(json.dumps({"frames": n, "buffers": len(buffers), "streamingVsOfflineMaxDelta": delta}))


if __name__ == "__main__":
    main()
