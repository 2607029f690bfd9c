#!/usr/bin/env python3
"""Builds MMAction2 TSM/TSN reference recognizers (mma_models.py) with random weights that prove something, checks
them, and saves them as MMAction2 saves them (mma_checkpoints.py).

Usage: /usr/bin/python3 tools/reference/mmaction2/make_mma_variants.py OUT_DIR [VARIANT ...]
Writes OUT_DIR/<variant>/<checkpoint file>, input.f32 ([views, T, 3, S, S] float32, normalised as MMAction2 does),
logits.f32 (per-view logits [views, K]), reversed.f32 (per-view logits of the input reversed along T), scores.f32
(what the test step returns after average_clips, [K]), logits_fp64.f32 (the float64 run's logits of the first view,
rounded to float32) and fp64_delta (max |fp32 - fp64| over them, as text), without_nl.f32 (non-local blocks made
the identity) and use_scale_flipped.f32 (embedded_gaussian run with use_scale negated) where they apply, and
OUT_DIR/variants.json indexing all of it (see test/helpers/mma-reference.ts for its fields). It runs as two
single-threaded processes side by side (the non-local variants and the rest) when it has variants of both
(MMA_JOBS=1: one process).

How the weights are made to mean something (shared/MMACTION2-FACTS.md §7):
- He-scaled random convolutions, BN affine 1 ± 0.1 / ± 0.1, except the BN that ends each residual branch, whose gamma
  is scaled by 0.15 as in trained ResNets (with gamma ~1 the random net amplifies rounding noise block by block:
  fp32 was 1.6e-4 off fp64 on R50, 1.6e-5 with it); BN statistics measured on real frames (4 clips of
  fixtures/jester-mini and the first half of OpenCV's Megamind.avi, whose whole length gives the test clip of the
  1.x variants, through the variant's own resize and a centre crop), then perturbed
  (mean ± 0.1 σ, var × U(0.8, 1.2)).
- Non-local: conv_out BN gamma U(0.05, 0.15) (a trained block starts from 0). embedded_gaussian: theta/phi scaled so
  the logits the softmax sees have a per-query spread (std over keys, RMS over queries) of about 4; gaussian has no
  theta/phi, so the residual stream of its stage (every bn3 and the downsample BN, and conv_out's BN, of layer2 resp.
  layer3) is scaled instead, which changes nothing else once BN is recalibrated; dot_product has no softmax, and BN
  absorbs any scale of theta/phi, so it is left as drawn. Calibrate and measure alternate until the spread is 3–5.
- Head: fc_cls centred on the mean calibration feature (bias = -W·mean), scaled so per-view logits on the
  calibration clips have std 2 (test clips then reach |logit| 4–17); uncentred, one class wins every real clip.
Each model is checked, and the run fails naming the variant if a check fails: fp32 vs its own fp64 run, time
reversal moves TSM logits (TSN is order-invariant and must not move), zeroing the non-local blocks moves them,
negating use_scale moves them, and the predictions on 6 other real clips (6 classes) are not all one class.
"""
import copy
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mma_checkpoints as ckpts  # noqa: E402
import mma_configs as configs  # noqa: E402
import mma_pipeline as pipe  # noqa: E402
from mma_models import (Bottleneck, InvertedResidual, NonLocal3d, average_clip, build_recognizer,  # noqa: E402
                        non_local_blocks, without_non_local)

VIDEO = os.path.join(pipe.OPENCV_VIDEOS, "Megamind.avi")  # 270 frames, 720x528; the first half calibrates
JESTER_CALIBRATION = (40, 41, 42, 43)  # classes 16, 17, 18, 15
JESTER_VARIETY = (4, 5, 6, 7, 8, 9)  # classes 23, 25, 11, 12, 2, 0
JESTER_TEST = 50

FP64_LIMIT = 3e-5  # per-view logits are O(10); a parity tolerance of 1e-4 must mean something
MOVES = 0.05  # reversal / non-local off / use_scale flipped must move some logit by more than this
ORDER_INVARIANT = 1e-4  # TSN on a reversed clip: only the summation order of the frame mean changes
MIN_DISTINCT = 3  # of the 6 variety clips
ATTENTION_SPREAD = (3.0, 5.0)
RESIDUAL_GAMMA = 0.15
FP64_VIEWS = 1  # fp64 convolutions are ~18x slower than fp32 here: the fp64 run covers the first view

R50_1X = configs.R50_1X
NL_1X = configs.NL_1X
MBV2_1X = "tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb"
TSN_1X = "tsn_imagenet-pretrained-r50_8xb32-1x1x8-100e_kinetics400-rgb"

# id: config (None: no meta, settings of `weights`), weights (the variant whose model it saves again), container,
# format, file stem, date/time, source of the test clip ('video' = Megamind.avi, 'jester' = mini-set line 50)
VARIANTS = {
    "tsm_r50": dict(config=R50_1X, container="published-1.x", format="zip", date="20220831_041823", source="video"),
    "tsm_r50_bare": dict(weights="tsm_r50", container="bare", format="legacy", stem="tsm_r50_1x1x8_50e_kinetics400_rgb", source="video"),
    "tsm_r101_sthv2": dict(config="tsm_imagenet-pretrained-r101_8xb16-1x1x8-50e_sthv2-rgb", container="published-1.x",
                           format="zip", date="20230320_100207", source="video"),
    "tsm_r50_tpool": dict(config="tsm_imagenet-pretrained-r50-tpool_8xb16-1x1x8-50e_kinetics400-rgb", container="published-1.x",
                          format="zip", date="20220831_120511", source="video"),
    "tsm_r50_nl_embedded_gaussian": dict(config=NL_1X.format("embedded-gaussian"), container="published-1.x", format="zip",
                                         date="20220831_153200", source="video"),
    "tsm_r50_nl_embedded_gaussian_0x": dict(weights="tsm_r50_nl_embedded_gaussian",
                                            config="tsm_nl_embedded_gaussian_r50_1x1x8_50e_kinetics400_rgb",
                                            container="published-0.x", format="legacy", date="20200724",
                                            asctime="Fri Jul 24 06:41:09 2020", source="jester"),
    "tsm_r50_nl_embedded_gaussian_scale": dict(config=NL_1X.format("embedded-gaussian-scale"), container="published-1.x",
                                               format="zip", date="20220901_091512", source="video"),
    "tsm_r50_nl_dot_product": dict(config=NL_1X.format("dot-product"), container="published-1.x", format="zip",
                                   date="20220831_181044", source="video"),
    "tsm_r50_nl_gaussian": dict(config=NL_1X.format("gaussian"), container="published-1.x", format="zip",
                                date="20220831_201733", source="video"),
    "tsm_mbv2": dict(config=MBV2_1X, container="published-1.x", format="zip", date="20230414_015722", source="video"),
    "tsm_mbv2_epoch": dict(weights="tsm_mbv2", config=MBV2_1X, container="unpublished-1.x", format="zip",
                           stem="epoch_100", date="20230413_235102", source="video"),
    "tsm_mbv2_state_dict_only": dict(weights="tsm_mbv2", container="state-dict-only", format="zip",
                                     stem="tsm_mobilenetv2_1x1x8_100e_kinetics400_rgb_port", source="video"),
    "tsm_r50_block_jester_0x": dict(config="tsm_r50_block_1x1x8_50e_jester_rgb", container="published-0.x", format="legacy",
                                    date="20200607", asctime="Sun Jun  7 03:12:45 2020", source="jester"),
    "tsn_r50": dict(config=TSN_1X, container="published-1.x", format="zip", date="20220906_134418", source="video"),
    "tsn_r50_0x": dict(weights="tsn_r50", config="tsn_r50_1x1x3_100e_kinetics400_rgb", container="published-0.x",
                       format="zip", date="20200614", asctime="Sun Jun 14 22:08:51 2020", source="jester"),
}


def variant_settings(vid):
    v = VARIANTS[vid]
    return configs.settings(v["config"] if v.get("config") else VARIANTS[v["weights"]]["config"])


# --- clips ----------------------------------------------------------------------------------------------------------

def side_clip_pipeline(s):
    """Calibration and variety clips: the variant's sampling and resize with one centre crop (one view each); TSN,
    which has no notion of segments, takes 8 frames of them whatever its test clip has."""
    p = s["pipeline"]
    frames = min(8, s["segments"]) if s["spec"]["backbone"] == "ResNet" else s["segments"]
    return dict(num_clips=frames, resize=p["resize"], crop="CenterCrop", crop_size=p["crop_size"]), frames


def calibration_clips(s):
    p, t = side_clip_pipeline(s)
    clips = [pipe.make_clip(pipe.jester_clip(i)[0], p, t)[0] for i in JESTER_CALIBRATION]
    video = pipe.Video(VIDEO)  # its first half: the test clip's footage, other frames
    clips.append(pipe.make_clip(video.part(0, video.total // 2), p, t)[0])
    return torch.from_numpy(np.concatenate(clips))


def variety_clips(s):
    p, t = side_clip_pipeline(s)
    return torch.from_numpy(np.concatenate([pipe.make_clip(pipe.jester_clip(i)[0], p, t)[0] for i in JESTER_VARIETY]))


def test_clip(s, source):
    if source == "video":
        src = pipe.Video(VIDEO)
        info = {"kind": "video", "path": VIDEO, "startIndex": 0}
    else:
        src, label = pipe.jester_clip(JESTER_TEST)
        info = {"kind": "rawframes", "path": os.path.relpath(src.folder, os.path.join(HERE, "..", "..", "..")),
                "startIndex": 1, "template": src.template, "label": label, "listLine": JESTER_TEST}
    clip, indices = pipe.make_clip(src, s["pipeline"], s["segments"])
    info.update(totalFrames=src.total, frameIndices=indices)
    return torch.from_numpy(clip), info


# --- weights --------------------------------------------------------------------------------------------------------

def bns(model):
    return [m for m in model.modules() if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d))]


def residual_branch_ends(model):
    """The BN that ends each residual branch (bn3 of a bottleneck, the projection BN of a residual MobileNetV2 block)."""
    for m in model.modules():
        if isinstance(m, Bottleneck):
            yield m.conv3.bn
        elif isinstance(m, InvertedResidual) and m.use_res_connect:
            yield m.conv[-1].bn


def randomize(model, g):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                p.copy_(torch.randn(p.shape, generator=g) * (2.0 / p[0].numel()) ** 0.5)
            else:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1 + (1.0 if name.endswith("weight") else 0.0))
        # A random BN-normalised residual net amplifies rounding noise block by block (~1.2x per bottleneck: fp32 is
        # then 1.6e-4 off fp64 on R50); trained nets end their residual branches with small BN gammas, and so do these.
        for bn in residual_branch_ends(model):
            bn.weight.mul_(RESIDUAL_GAMMA)
        for m in non_local_blocks(model):
            m.conv_out.bn.weight.copy_(torch.rand(m.conv_out.bn.weight.shape, generator=g) * 0.1 + 0.05)
            m.conv_out.bn.bias.copy_(torch.randn(m.conv_out.bn.bias.shape, generator=g) * 0.02)


def calibrate_bn(model, clips):
    """BN statistics of `clips` ([N, T, ...], one sample each) as cumulative averages, then eval mode. Returns the
    inputs the non-local blocks saw in that pass (their BNs used these very statistics)."""
    for m in bns(model):
        m.reset_running_stats()
        m.momentum = None
    model.train()
    seen = observe_non_local(model, clips)
    model.eval()
    for m in bns(model):
        m.momentum = 0.1
    return seen


def observe_non_local(model, clips):
    seen = {}
    hooks = [b.register_forward_hook(lambda mod, inp, out: seen.setdefault(mod, inp[0])) for b in non_local_blocks(model)]
    with torch.no_grad():
        model(clips)
    for h in hooks:
        h.remove()
    return seen


def perturb_bn(model, g):
    with torch.no_grad():
        for m in bns(model):
            std = m.running_var.sqrt()
            m.running_mean.add_(torch.randn(m.running_mean.shape, generator=g) * 0.1 * std)
            m.running_var.mul_(torch.rand(m.running_var.shape, generator=g) * 0.4 + 0.8)


def spreads_of(model, seen):
    """Per non-local block: the std over keys of its pairwise logits, RMS over queries."""
    with torch.no_grad():
        return [b.pairwise_logits(seen[b]).std(dim=-1).pow(2).mean().sqrt().item() for b in non_local_blocks(model)]


def stage_of(model, block):
    for name, m in model.backbone.named_modules():
        if m is block:
            return name.split(".")[0]
    raise KeyError(block)


def scale_stage(model, stage_name, f):
    """Multiply the residual stream of a ResNet stage by f: every block's bn3 and downsample BN, and its non-local
    conv_out BN, scale by f; BN recalibration makes the next stage see the same normalised inputs."""
    stage = getattr(model.backbone, stage_name)
    with torch.no_grad():
        for m in stage.modules():
            for name in ("conv3", "downsample"):
                sub = getattr(m, name, None)
                if sub is not None and hasattr(sub, "bn") and isinstance(sub.bn, nn.BatchNorm2d):
                    sub.bn.weight.mul_(f)
                    sub.bn.bias.mul_(f)
            if isinstance(m, NonLocal3d):
                m.conv_out.bn.weight.mul_(f)
                m.conv_out.bn.bias.mul_(f)


def temper_attention(model, clips, target=4.0, rounds=4):
    """Calibrate BN; for softmax non-local blocks, scale until every block's spread is within ATTENTION_SPREAD."""
    blocks = non_local_blocks(model)
    mode = blocks[0].mode if blocks else None
    for _ in range(rounds):
        seen = calibrate_bn(model, clips)
        if mode in (None, "dot_product"):
            return
        spreads = spreads_of(model, seen)
        if all(ATTENTION_SPREAD[0] <= s <= ATTENTION_SPREAD[1] for s in spreads):
            return
        with torch.no_grad():
            if mode == "embedded_gaussian":
                for b, s in zip(blocks, spreads):
                    k = (target / s) ** 0.5
                    for conv in (b.theta.conv, b.phi[0].conv):
                        conv.weight.mul_(k)
                        conv.bias.mul_(k)
            else:  # gaussian: the logits are quadratic in the stream
                by_stage = {}
                for b, s in zip(blocks, spreads):
                    by_stage.setdefault(stage_of(model, b), []).append(s)
                for stage_name, ss in by_stage.items():
                    scale_stage(model, stage_name, (target / float(np.exp(np.mean(np.log(ss))))) ** 0.5)
    raise CheckFailed(f"attention spread still {spreads} after {rounds} rounds")


def fit_head(model, clips, g, target_std=2.0):
    """Centre fc_cls on the mean calibration feature and scale it to logit std `target_std`; returns the attention
    spreads seen in the same (eval) pass."""
    head = model.cls_head.fc_cls
    feats = []
    hook = model.cls_head.register_forward_hook(lambda mod, inp, out: feats.append(inp[0]))
    seen = observe_non_local(model, clips)
    hook.remove()
    mean_feature = feats[0].mean(dim=(0, 2, 3))
    with torch.no_grad():
        head.weight.copy_(torch.randn(head.weight.shape, generator=g) / head.weight.shape[1] ** 0.5)
        head.bias.copy_(-head.weight @ mean_feature)
        k = target_std / model.cls_head(feats[0], num_segs=clips.shape[1]).std().item()
        head.weight.mul_(k)
        head.bias.mul_(k)
    return spreads_of(model, seen) if seen else []


def build(vid, s, calibration, seed):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = build_recognizer(s["spec"], s["keyset"])
    randomize(model, g)
    temper_attention(model, calibration)
    perturb_bn(model, g)
    spreads = fit_head(model, calibration, g)
    with torch.no_grad():
        for m in bns(model):
            m.num_batches_tracked.fill_(seed * 7 % 90000 + 10000)  # iterations of a training run
    return model, spreads


# --- checks and outputs ------------------------------------------------------------------------------------------------

def max_delta(a, b):
    return float((a.double() - b.double()).abs().max())


class CheckFailed(Exception):
    pass


def check(vid, ok, what):
    if not ok:
        raise CheckFailed(f"{vid}: {what}")


def run_checks(vid, model, s, clip, variety):
    """Per-view logits and the figures; raises CheckFailed naming the variant and the figure.

    fp32 runs go in batches of >= 16 frames (the clip, its reversal and the variety clips together): with one thread
    torch 1.13 sends 1x1 convolutions of smaller batches to its BLAS path, which is netlib's here (slow)."""
    figures = {}
    views = clip.shape[0]
    with torch.no_grad():
        if variety.shape[1] == clip.shape[1]:
            out = model.view_logits(torch.cat([clip, clip.flip(1), variety]))
            logits, reversed_logits, variety_logits = out[:views], out[views:2 * views], out[2 * views:]
        else:  # TSN with more frames a view than the variety clips have
            out = model.view_logits(torch.cat([clip, clip.flip(1)]))
            logits, reversed_logits, variety_logits = out[:views], out[views:], model.view_logits(variety)
        m64 = copy.deepcopy(model).double()
        logits64 = m64.view_logits(clip[:FP64_VIEWS].double())
        del m64
        if s["spec"]["head"] == "TSNHead":
            # TSNHead averages features over all views of a sample: the recognizer path proper (with the reversed
            # clip as a second sample, so the batch has >= 16 frames)
            scores = model.predict(torch.stack([clip, clip.flip(1)]), s["average_clips"])[0]
        else:
            # TSMHead scores each view on its own: the sample's scores are the per-view logits; shown on two views
            pair = min(views, 2)
            path = model(torch.stack([clip[:pair], clip[:pair].flip(1)]).flatten(1, 2))[:pair]
            figures["recognizerPathDelta"] = max_delta(path, logits[:pair])
            check(vid, figures["recognizerPathDelta"] <= FP64_LIMIT, f"Recognizer2D path vs per-view logits {figures['recognizerPathDelta']:.3g}")
            scores = average_clip(logits.unsqueeze(0), s["average_clips"])[0]
        extra = {}
        both = clip if views > 1 else torch.cat([clip, clip.flip(1)])  # >= 16 frames again
        if non_local_blocks(model):
            extra["without_nl"] = without_non_local(model).view_logits(both)[:views]
            if non_local_blocks(model)[0].mode == "embedded_gaussian":
                flipped = copy.deepcopy(model)
                for b in non_local_blocks(flipped):
                    b.use_scale = not b.use_scale
                extra["use_scale_flipped"] = flipped.view_logits(both)[:views]
        predictions = variety_logits.argmax(1).tolist()
    figures["fp64Delta"] = max_delta(logits[:FP64_VIEWS], logits64)
    figures["fp64Views"] = FP64_VIEWS
    figures["reversalDelta"] = max_delta(logits, reversed_logits)
    figures["logitStd"] = float(logits.std())
    figures["logitMaxAbs"] = float(logits.abs().max())
    figures["varietyPredictions"] = predictions
    figures["distinctPredictions"] = len(set(predictions))
    figures["prediction"] = int(scores.argmax())
    check(vid, figures["fp64Delta"] <= FP64_LIMIT, f"fp32 vs fp64 {figures['fp64Delta']:.3g} > {FP64_LIMIT}")
    if s["spec"]["backbone"] == "ResNet":
        check(vid, figures["reversalDelta"] <= ORDER_INVARIANT, f"TSN moved by time reversal: {figures['reversalDelta']:.3g}")
    else:
        check(vid, figures["reversalDelta"] > MOVES, f"time reversal moved the logits only {figures['reversalDelta']:.3g}")
    if "without_nl" in extra:
        figures["nlOffDelta"] = max_delta(logits, extra["without_nl"])
        check(vid, figures["nlOffDelta"] > MOVES, f"non-local off moved the logits only {figures['nlOffDelta']:.3g}")
    if "use_scale_flipped" in extra:
        figures["useScaleFlipDelta"] = max_delta(logits, extra["use_scale_flipped"])
        check(vid, figures["useScaleFlipDelta"] > MOVES, f"use_scale flipped moved the logits only {figures['useScaleFlipDelta']:.3g}")
    check(vid, figures["distinctPredictions"] >= MIN_DISTINCT,
          f"{figures['distinctPredictions']} distinct predictions on {len(predictions)} real clips: {predictions}")
    return figures, {"logits": logits, "reversed": reversed_logits, "scores": scores, "logits_fp64": logits64, **extra}


def container(vid, v, model, s, seed):
    """The object MMAction2 would have saved, and the file name it would have."""
    sd = model.state_dict()
    kind = v["container"]
    if kind == "bare":
        return sd, v["stem"] + ".pth"
    if kind == "state-dict-only":
        return {"state_dict": sd}, v["stem"] + ".pth"
    text = configs.text(v["config"])
    stem = v.get("stem", v["config"])
    epochs = configs.CONFIGS[v["config"]][1].get("train_cfg", {}).get("max_epochs") or configs.CONFIGS[v["config"]][1].get("total_epochs")
    iters = epochs * 1877
    if kind in ("published-1.x", "unpublished-1.x"):
        version = "0.1.0" if v["date"].startswith("2022") else "0.7.3"
        meta = ckpts.meta_1x(v["config"], text, epochs, iters, seed * 7919 % 2 ** 31, v["date"], version)
        obj = {"meta": meta, "state_dict": sd}
        if kind == "unpublished-1.x":
            obj["message_hub"] = ckpts.message_hub(text, meta["seed"], meta["experiment_name"], epochs, iters, 0.6871)
            obj["optimizer"] = ckpts.sgd_state(model, seed)
            obj["param_schedulers"] = ckpts.param_schedulers(epochs, 1877)
            return obj, stem + ".pth"
        return obj, (stem, "_" + v["date"][:8] + "-")
    mmcv, mmaction = ("0.6.2", "0.5.0") if v["date"] < "20200710" else ("1.0.2", "0.6.0")  # the releases of then
    meta = ckpts.meta_0x(v["config"], text, epochs, iters, None if "nl" in vid else seed, v["asctime"], mmcv,
                         f"{mmaction}+{seed * 2654435761 % 2 ** 28:07x}", 0.7024)
    return {"meta": meta, "state_dict": sd}, (f"{v['config']}_{v['date']}", "-")


def write_f32(path, t):
    t.detach().numpy().astype("<f4").tofile(path)


def generate(out, wanted, index_path):
    index = {}
    built = {}  # source variant -> (model, attention spreads)
    runs = {}  # (source, settings config, clip source) -> (clip, clip info, figures, arrays): same model, same input
    # a variant that saves another's weights needs that model: build sources first (and those a wanted one needs)
    order = sorted(set(wanted) | {VARIANTS[w]["weights"] for w in wanted if "weights" in VARIANTS[w]},
                   key=lambda w: ("weights" in VARIANTS[w], list(VARIANTS).index(w)))
    for vid in order:
        t0, c0 = time.time(), time.process_time()
        v = VARIANTS[vid]
        s = variant_settings(vid)
        source = v.get("weights", vid)
        seed = sum(map(ord, source))
        if source in built:
            model = build_recognizer(s["spec"], s["keyset"])
            model.load_state_dict(built[source][0].state_dict())
            model.eval()
            spreads = built[source][1]
        else:
            model, spreads = build(vid, s, calibration_clips(s), seed)
            built[vid] = (model, spreads)
        run_key = (source, v.get("config") or VARIANTS[source]["config"], v["source"])
        if run_key not in runs:
            clip, clip_info = test_clip(s, v["source"])
            figures, arrays = run_checks(vid, model, s, clip, variety_clips(s))
            if spreads:
                figures["attentionSpread"] = spreads
            runs[run_key] = (clip, clip_info, figures, arrays)
        clip, clip_info, figures, arrays = runs[run_key]
        if vid not in wanted:
            continue
        d = os.path.join(out, vid)
        os.makedirs(d, exist_ok=True)
        obj, name = container(vid, v, model, s, seed)
        if isinstance(name, tuple):
            name = ckpts.save_published(obj, d, name[0], v["format"], name[1])
        else:
            ckpts.save(obj, os.path.join(d, name), v["format"])
        write_f32(os.path.join(d, "input.f32"), clip)
        write_f32(os.path.join(d, "logits.f32"), arrays["logits"])
        write_f32(os.path.join(d, "reversed.f32"), arrays["reversed"])
        write_f32(os.path.join(d, "scores.f32"), arrays["scores"])
        write_f32(os.path.join(d, "logits_fp64.f32"), arrays["logits_fp64"].float())
        for key in ("without_nl", "use_scale_flipped"):
            if key in arrays:
                write_f32(os.path.join(d, key + ".f32"), arrays[key])
        with open(os.path.join(d, "fp64_delta"), "w") as f:
            f.write(f"{figures['fp64Delta']:.6g}\n")
        spec = s["spec"]
        index[vid] = {
            "file": f"{vid}/{name}",
            "kind": spec["backbone"], "head": spec["head"], "depth": spec.get("depth"),
            "keySet": s["keyset"], "container": v["container"], "format": v["format"],
            "meta": v["container"] not in ("bare", "state-dict-only"),
            "config": f"configs/{v['config']}.py" if v["container"] not in ("bare", "state-dict-only") else None,
            "configText": {"published-1.x": "meta.cfg", "unpublished-1.x": "meta.cfg", "published-0.x": "meta.config"}.get(v["container"]),
            "settingsFrom": f"configs/{v.get('config') or VARIANTS[v['weights']]['config']}.py",
            "weightsOf": source,
            "segments": s["segments"], "size": s["pipeline"]["crop_size"], "classes": spec["num_classes"],
            "shiftDiv": spec.get("shift_div"), "shiftPlace": spec.get("shift_place") if spec["backbone"] == "ResNetTSM" else None,
            "temporalPool": spec.get("temporal_pool", False),
            "nonLocal": spec.get("non_local"), "nonLocalCfg": spec.get("non_local_cfg"),
            "averageClips": s["average_clips"], "pipeline": s["pipeline"],
            "views": int(clip.shape[0]), "inputShape": list(clip.shape), "logitsShape": list(arrays["logits"].shape),
            "source": clip_info,
            "sha256": ckpts.sha256(os.path.join(d, name)), "bytes": os.path.getsize(os.path.join(d, name)),
            "figures": figures,
            # wall and CPU time of this variant (a variant that saves another's weights costs little but its file)
            "seconds": round(time.time() - t0, 2), "cpuSeconds": round(time.process_time() - c0, 2),
        }
        print(f"{vid}: {name} fp64 {figures['fp64Delta']:.2g} reversal {figures['reversalDelta']:.3g}"
              + (f" nl-off {figures['nlOffDelta']:.3g}" if "nlOffDelta" in figures else "")
              + f" distinct {figures['distinctPredictions']}/6 ({time.time() - t0:.1f} s, cpu {time.process_time() - c0:.1f} s)",
              file=sys.stderr, flush=True)
    with open(index_path, "w") as f:
        json.dump(index, f, indent=1)


# two processes side by side (one thread each): the non-local models, and the rest with the variants saving their
# weights again; about the same CPU time each
JOBS = ([v for v in VARIANTS if "_nl_" in v], [v for v in VARIANTS if "_nl_" not in v])


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    wanted = sys.argv[2:] or list(VARIANTS)
    unknown = [w for w in wanted if w not in VARIANTS]
    if unknown:
        sys.exit(f"unknown variant(s) {unknown}; known: {', '.join(VARIANTS)}")
    stale = configs.stale()
    if stale:
        sys.exit(f"config texts out of date ({', '.join(stale)}): run /usr/bin/python3 {HERE}/mma_configs.py --write")
    os.makedirs(out, exist_ok=True)
    index_path = os.path.join(out, os.environ.get("MMA_VARIANTS_INDEX", "variants.json"))
    jobs = [[v for v in job if v in wanted] for job in JOBS]
    if int(os.environ.get("MMA_JOBS", "2")) > 1 and all(jobs):
        env = dict(os.environ, MMA_JOBS="1")
        procs = [subprocess.Popen([sys.executable, os.path.abspath(__file__), out, *job],
                                  env=dict(env, MMA_VARIANTS_INDEX=f"variants.part{i}.json")) for i, job in enumerate(jobs)]
        codes = [p.wait() for p in procs]
        if any(codes):
            sys.exit(f"make_mma_variants: a worker failed (exit codes {codes})")
        index = {}
        for i in range(len(jobs)):
            part = os.path.join(out, f"variants.part{i}.json")
            index.update(json.load(open(part)))
            os.remove(part)
        with open(index_path, "w") as f:
            json.dump({v: index[v] for v in VARIANTS if v in index}, f, indent=1)
        return
    # one thread: two OpenMP threads on a busy 2-core machine spend ~7x the CPU time waiting at barriers
    torch.set_num_threads(int(os.environ.get("MMA_THREADS", "1")))
    generate(out, wanted, index_path)


if __name__ == "__main__":
    try:
        main()
    except CheckFailed as e:
        sys.exit(f"make_mma_variants: check failed: {e}")
