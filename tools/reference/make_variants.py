#!/usr/bin/env python3
"""Builds each supported TSN/TSM variant with random weights and BN statistics, saves it like the released files
(training-checkpoint dict with a DataParallel state dict, under its TSM file name), runs a fixed random clip through
it (and the same clip in reverse frame order) and writes the logits.

Usage: /usr/bin/python3 tools/reference/make_variants.py OUT_DIR [VARIANT ...]
Writes OUT_DIR/<variant>/<file name>, <variant>/input.f32, logits.f32, reversed.f32, and OUT_DIR/variants.json.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tsm_models import TSN, MobileNetV2, NonLocalBlock3D, randomize  # noqa: E402

# id: (file name, arch, segments, shift_div, place, mbv2 layout, size, width, dropout, clips, format)
VARIANTS = {
    "r50_blockres": ("TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e2.pth", "resnet50", 8, 8, "blockres", None, 224, 1.0, 0.8, 1, "legacy"),
    "r50_block": ("TSM_kinetics_RGB_resnet50_shift8_block_avg_segment8_e50.pth", "resnet50", 8, 8, "block", None, 112, 1.0, 0.5, 1, "zip"),
    "r18": ("TSM_something_RGB_resnet18_shift8_blockres_avg_segment8_e45.pth", "resnet18", 8, 8, "blockres", None, 112, 1.0, 0.5, 2, "zip"),
    "r34_div4": ("TSM_kinetics_RGB_resnet34_shift4_blockres_avg_segment8_e50.pth", "resnet34", 8, 4, "blockres", None, 96, 1.0, 0.5, 1, "legacy"),
    "r101": ("TSM_kinetics_RGB_resnet101_shift8_blockres_avg_segment8_e50.pth", "resnet101", 8, 8, "blockres", None, 96, 1.0, 0.5, 1, "legacy"),
    "tsn_r50": ("TSM_kinetics_RGB_resnet50_avg_segment5_e50.pth", "resnet50", 5, 8, None, None, 112, 1.0, 0.0, 2, "legacy"),
    "r18_t16": ("TSM_kinetics_RGB_resnet18_shift8_blockres_avg_segment16_e50.pth", "resnet18", 16, 8, "blockres", None, 96, 1.0, 0.5, 1, "legacy"),
    "mbv2_official": ("TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e25.pth", "mobilenetv2", 8, 8, "blockres", "official", 224, 1.0, 0.5, 1, "legacy"),
    "mbv2_embedded": ("TSM_jester_RGB_MobileNetV2_shift8_blockres_avg_segment8_e5.pth", "mobilenetv2", 8, 8, "blockres", "embedded", 160, 1.0, 0.5, 2, "legacy"),
    "mbv2_div4": ("TSM_jester_RGB_mobilenetv2_shift4_blockres_avg_segment8_e25.pth", "mobilenetv2", 8, 4, "blockres", "official", 112, 1.0, 0.5, 1, "zip"),
    "mbv2_width05": ("TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e25.pth", "mobilenetv2", 8, 8, "blockres", "official", 112, 0.5, 0.5, 1, "legacy"),
    "tsn_mbv2": ("TSM_jester_RGB_mobilenetv2_avg_segment8_e25.pth", "mobilenetv2", 8, 8, None, None, 112, 1.0, 0.5, 1, "legacy"),
    "r50_tpool": ("TSM_kinetics_RGB_resnet50_shift8_blockres_tpool_avg_segment8_e50.pth", "resnet50", 8, 8, "blockres", None, 112, 1.0, 0.5, 1, "zip"),
    "r50_tpool_t16": ("TSM_kinetics_RGB_resnet50_shift8_blockres_tpool_avg_segment16_e50.pth", "resnet50", 16, 8, "blockres", None, 96, 1.0, 0.5, 1, "legacy"),
    "nl_r50": ("TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment8_e100_dense_nl.pth", "resnet50", 8, 8, "blockres", None, 224, 1.0, 0.5, 1, "legacy"),
    "nl_r50_fullres": ("TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment8_e100_dense_nl.pth", "resnet50", 8, 8, "blockres", None, 256, 1.0, 0.5, 1, "zip"),
    "flow_r50": ("TSM_kinetics_Flow_resnet50_shift8_blockres_avg_segment8_e50.pth", "resnet50", 8, 8, "blockres", None, 160, 1.0, 0.5, 1, "zip"),
    "flow_r50_legacy": ("TSM_kinetics_Flow_resnet50_shift8_blockres_avg_segment8_e50.pth", "resnet50", 8, 8, "blockres", None, 160, 1.0, 0.5, 1, "legacy"),
    "flow_mbv2": ("TSM_something_Flow_mobilenetv2_shift8_blockres_avg_segment8_e25.pth", "mobilenetv2", 8, 8, "blockres", "official", 112, 1.0, 0.5, 2, "legacy"),
    "flow_nl_r50": ("TSM_kinetics_Flow_resnet50_shift8_blockres_avg_segment8_e50_nl.pth", "resnet50", 8, 8, "blockres", None, 112, 1.0, 0.5, 1, "zip"),
    "nl_r50_jester64": ("TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e100_dense_nl.pth", "resnet50", 8, 8, "blockres", None, 64, 1.0, 0.5, 1, "zip"),
    "imagenet_mbv2": ("mobilenet_v2.pth.tar", "imagenet_mobilenetv2", 1, 0, None, None, 224, 1.0, 0.0, 2, "legacy"),
}

NUM_CLASSES = 27

# variants calibrated on real frames (fixtures/jester-mini) instead of noise: a non-local block tempered on noise
# meets much larger attention logits on real frames, where float32 itself stops being exact (PyTorch's float32 run is
# 0.05 from its float64 run); these are for end-to-end protocol tests on that set
REAL_CALIBRATION = {"nl_r50_jester64"}
# list lines used to calibrate them, and the one their parity clip comes from (tests score the first clips of the list)
REAL_CALIBRATION_CLIPS = (40, 41, 42, 43)
REAL_TEST_CLIP = (50,)

# variants that are another variant's checkpoint, saved again (in the other format, or run on another input size)
SAME_WEIGHTS = {"nl_r50_fullres": "nl_r50", "flow_r50_legacy": "flow_r50"}


def temper_attention(model, calibration, target_std=1.0):
    """Random theta/phi make non-local attention logits O(1000): the softmax is then a hard argmax that float32 cannot
    reproduce (PyTorch's own float64 run differs by ~0.1). Scale theta and phi so the logits on the calibration clip
    have std about `target_std`, as a trained block's are moderate (one pass measures all blocks; scaling an early
    block moves the later ones' inputs a little, which is fine for "moderate")."""
    blocks = [m for m in model.modules() if isinstance(m, NonLocalBlock3D)]
    seen = {}
    hooks = [b.register_forward_hook(lambda mod, inp, out: seen.setdefault(mod, inp[0])) for b in blocks]
    with torch.no_grad():
        model(calibration)
    for h in hooks:
        h.remove()
    with torch.no_grad():
        for block in blocks:
            x = seen[block]
            n = x.size(0)
            theta_x = block.theta(x).view(n, block.inter, -1).permute(0, 2, 1)
            phi_x = block.phi(x).view(n, block.inter, -1)
            s = (target_std / torch.matmul(theta_x, phi_x).std().item()) ** 0.5
            for conv in (block.theta, block.phi[0]):
                conv.weight.mul_(s)
                conv.bias.mul_(s)


def without_non_local(model):
    """The same model with every non-local block made the identity (W's BatchNorm scale and shift zero, as at init)."""
    import copy
    plain = copy.deepcopy(model)
    with torch.no_grad():
        for m in plain.modules():
            if isinstance(m, NonLocalBlock3D):
                m.W[1].weight.zero_()
                m.W[1].bias.zero_()
    return plain


def jester_clips(segments, size, clips):
    """Clips of fixtures/jester-mini, uniformly sampled, short side scaled to `size`, centre-cropped, normalised."""
    from PIL import Image
    import numpy as np
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "jester-mini")
    lines = [l.split() for l in open(os.path.join(root, "val_videofolder.txt")) if l.strip()]
    mean, std = np.array([0.485, 0.456, 0.406], "f4"), np.array([0.229, 0.224, 0.225], "f4")
    out = []
    for c in clips:
        vid, n = lines[c][0], int(lines[c][1])
        tick = n / float(segments)
        frames = []
        for x in range(segments):
            img = Image.open(os.path.join(root, "20bn-jester-v1", vid, "%05d.jpg" % (int(tick / 2 + tick * x) + 1))).convert("RGB")
            w, h = img.size
            img = img.resize((int(size * w / h), size), Image.BILINEAR) if w >= h else img.resize((size, int(size * h / w)), Image.BILINEAR)
            w, h = img.size
            left, top = (w - size) // 2, (h - size) // 2
            frames.append((np.asarray(img.crop((left, top, left + size, top + size)), "f4") / 255 - mean) / std)
        out.append(torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2))
    return torch.stack(out)


def build(vid, spec, generator):
    name, arch, segments, div, place, layout, size, width, dropout, clips, fmt = spec
    channels = 10 if "_Flow_" in name else 3
    calib_shape = (2, 3, size, size) if arch == "imagenet_mobilenetv2" else (1, segments, channels, size, size)
    calibration = torch.randn(calib_shape, generator=generator)  # same distribution as the test clip, another draw
    if vid in REAL_CALIBRATION:
        calibration = jester_clips(segments, size, REAL_CALIBRATION_CLIPS)
    if arch == "imagenet_mobilenetv2":
        model = MobileNetV2(n_class=1000, width_mult=width, dropout_classifier=True)
    else:
        model = TSN(NUM_CLASSES, segments, arch, shift_div=div, shift_place=place, mbv2_layout=layout or "official",
                    width_mult=width, dropout=dropout, temporal_pool="_tpool" in name, non_local="_nl." in name,
                    modality="Flow" if "_Flow_" in name else "RGB")
    model = randomize(model, generator, calibration).eval()
    temper_attention(model, calibration)
    # Scale the head so logits are O(1) like a trained model's; logits are linear in the head, so this is exact.
    head = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        spread = model(calibration).std().item()
        head.weight.mul_(2.0 / spread)
        head.bias.mul_(2.0 / spread)
    return model


def save(model, path, arch, fmt):
    legacy = fmt == "legacy"
    if arch == "imagenet_mobilenetv2":
        torch.save(model.state_dict(), path, _use_new_zipfile_serialization=not legacy)
        return
    wrapped = torch.nn.DataParallel(model)  # CPU-only: just adds the module. prefix, as in training
    ckpt = {"epoch": 25, "arch": arch, "state_dict": wrapped.state_dict(), "best_prec1": 50.0}
    torch.save(ckpt, path, _use_new_zipfile_serialization=not legacy)


def main():
    out = sys.argv[1]
    skipped = set(filter(None, os.environ.get("VARIANTS_EXCEPT", "").split(",")))
    wanted = [v for v in (sys.argv[2:] or list(VARIANTS)) if v not in skipped]
    torch.set_num_threads(2)
    # the tests run two of these side by side on disjoint variant lists, each writing its own index
    index_path = os.path.join(out, os.environ.get("VARIANTS_INDEX", "variants.json"))
    index = json.load(open(index_path)) if os.path.exists(index_path) else {}
    built = {}
    for vid in sorted(wanted, key=lambda v: v in SAME_WEIGHTS):
        spec = VARIANTS[vid]
        name, arch, segments, div, place, layout, size, width, dropout, clips, fmt = spec
        seed = sum(map(ord, vid))
        source = SAME_WEIGHTS.get(vid)
        model = built[source] if source in built else build(vid, spec, torch.Generator().manual_seed(seed))
        built[vid] = model
        d = os.path.join(out, vid)
        os.makedirs(d, exist_ok=True)
        save(model, os.path.join(d, name), arch, fmt)
        # The clip is drawn from another generator than the weights, after saving: the converter never sees it.
        g = torch.Generator().manual_seed(seed + 99991)
        if arch == "imagenet_mobilenetv2":
            clip = torch.randn(clips, 3, size, size, generator=g)
            reversed_clip = clip
        else:
            channels = 10 if "_Flow_" in name else 3
            clip = torch.randn(clips, segments, channels, size, size, generator=g)
            if vid in REAL_CALIBRATION:
                clip = jester_clips(segments, size, REAL_TEST_CLIP)  # real frames, as it was calibrated on
            reversed_clip = clip.flip(1)
        with torch.no_grad():
            logits = model(clip)
            rlogits = model(reversed_clip)
        clip.numpy().astype("<f4").tofile(os.path.join(d, "input.f32"))
        logits.numpy().astype("<f4").tofile(os.path.join(d, "logits.f32"))
        rlogits.numpy().astype("<f4").tofile(os.path.join(d, "reversed.f32"))
        if vid not in SAME_WEIGHTS and any(isinstance(m, NonLocalBlock3D) for m in model.modules()):
            # what the logits would be without the non-local blocks: a parity test shows they matter
            with torch.no_grad():
                without_non_local(model)(clip).numpy().astype("<f4").tofile(os.path.join(d, "without_nl.f32"))

        index[vid] = {"file": os.path.join(vid, name), "arch": arch, "segments": segments, "shiftDiv": div,
                      "shiftPlace": place, "mobilenetLayout": layout, "size": size, "width": width,
                      "format": fmt, "inputShape": list(clip.shape), "logitsShape": list(logits.shape)}

        print(vid, "->", name, list(clip.shape), list(logits.shape), flush=True)
    if "r18" in wanted:
        # A checkpoint with a layer no supported architecture has (a non-local block's weight): must be refused.
        ckpt = torch.load(os.path.join(out, "r18", VARIANTS["r18"][0]))
        ckpt["state_dict"]["module.base_model.layer2.0.nl.g.weight"] = torch.zeros(64, 128, 1, 1)
        os.makedirs(os.path.join(out, "r18_extra"), exist_ok=True)
        torch.save(ckpt, os.path.join(out, "r18_extra", VARIANTS["r18"][0]))
        # A tensor that belongs to no known feature at all: must be refused as unused, by name.
        ckpt = torch.load(os.path.join(out, "r18", VARIANTS["r18"][0]))
        ckpt["state_dict"]["module.base_model.layer2.0.adapter.weight"] = torch.zeros(64, 128, 1, 1)
        os.makedirs(os.path.join(out, "r18_unused"), exist_ok=True)
        torch.save(ckpt, os.path.join(out, "r18_unused", VARIANTS["r18"][0]))
    with open(index_path, "w") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
