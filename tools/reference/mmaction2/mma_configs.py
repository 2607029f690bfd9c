"""The merged configs of the reference checkpoints, as data, and their text as MMAction2 stores it in `meta`.

`meta.cfg` (1.x) is mmengine's `Config.pretty_text`, `meta.config` (0.x) mmcv 1.x's: the merged config as Python
source, every variable already expanded (pretty_text dumps values, never references). The two styles differ, and a
parser must not care:
- 1.x (mmengine): keys sorted at every level (`type=` comes wherever it sorts), lists and tuples exploded one item a
  line with trailing commas (`scale=(\n -1,\n 256,\n )`), other calls `dict(...)` wrapped at 79 columns.
- 0.x (mmcv): insertion order (`type=` first), lists and tuples of plain values written compactly as Python's repr
  (`scale=(-1, 256)`), lists of dicts one dict a line; and values mmcv prints with str(), such as
  `gpu_ids = range(0, 8)`, a call that a literal parser has to step over.
The layout follows those tools' output as remembered, not byte for byte (yapf's exact line breaking is not copied).

The settings that matter are those of shared/MMACTION2-FACTS.md §5 with small sizes (64–112 px) and fewer views than
the published protocols where a kind would otherwise be slow; each config states what its reference input used.

`python3 mma_configs.py --write` rewrites configs/<name>.py (test data, never executed); the generator refuses to run
when a file differs from what this module renders.
"""
import ast
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG_DIR = os.path.join(HERE, "configs")

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]
NL_STAGES = ((0, 0, 0), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 0, 0))
R50_URL = "https://download.pytorch.org/models/resnet50-11ad3fa6.pth"
R101_URL = "https://download.pytorch.org/models/resnet101-cd907fc2.pth"


class Raw(str):
    """A value pretty_text prints with str() (not a literal): emitted as it is."""


def D(**kw):
    return dict(kw)


# --- renderers ----------------------------------------------------------------------------------------------------

WIDTH = 79


def _scalar(v):
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, str):
        return repr(v)
    return str(v)


def _mmcv_compact(v):
    """mmcv 1.x writes lists/tuples of plain values with str(), i.e. repr."""
    if isinstance(v, (list, tuple)) and not any(isinstance(x, dict) for x in v):
        return repr(v)
    return None


def _has_container(v):
    if isinstance(v, dict):
        return any(_has_container(x) or isinstance(x, (list, tuple)) for x in v.values())
    return isinstance(v, (list, tuple))


def _render(v, indent, style, lead):
    """v as source text: its first line continues a line `lead` characters long, later lines start at `indent`."""
    pad = " " * indent
    inner = " " * (indent + 4)
    if isinstance(v, dict):
        items = sorted(v.items()) if style == "mmengine" else list(v.items())
        if not items:
            return "dict()"
        one = "dict(" + ", ".join(f"{k}={_render(x, 0, style, 0)}" for k, x in items) + ")"
        must_split = style == "mmengine" and _has_container(v)
        if not must_split and "\n" not in one and lead + len(one) + 1 <= WIDTH:
            return one
        args = [f"{inner}{k}={_render(x, indent + 4, style, indent + 5 + len(k))}" for k, x in items]
        return "dict(\n" + ",\n".join(args) + ")"
    if isinstance(v, (list, tuple)):
        left, right = ("[", "]") if isinstance(v, list) else ("(", ")")
        if style == "mmcv":
            compact = _mmcv_compact(v)
            if compact is not None:
                return compact
            one = left + ", ".join(_render(x, 0, style, 0) for x in v) + right
            if "\n" not in one and lead + len(one) + 1 <= WIDTH:
                return one
            return left + "\n" + ",\n".join(inner + _render(x, indent + 4, style, indent + 4) for x in v) + "\n" + pad + right
        if not v:
            return left + right
        return left + "\n" + "".join(f"{inner}{_render(x, indent + 4, style, indent + 4)},\n" for x in v) + pad + right
    return _scalar(v)


def render(cfg, style):
    items = sorted(cfg.items()) if style == "mmengine" else list(cfg.items())
    return "".join(f"{k} = {_render(v, 0, style, len(k) + 3)}\n" for k, v in items)


# --- configs ------------------------------------------------------------------------------------------------------

def sample_frames(p, test_mode=True, with_twice=True):
    d = D(type="SampleFrames", clip_len=1, frame_interval=1, num_clips=p["num_clips"])
    if with_twice and p.get("twice_sample"):
        d["twice_sample"] = True
    if test_mode:
        d["test_mode"] = True
    return d


def crop_op(p):
    return D(type=p["crop"], crop_size=p["crop_size"])


def model_1x(backbone, head):
    return D(type="Recognizer2D", backbone=backbone, cls_head=head,
             data_preprocessor=D(type="ActionDataPreprocessor", mean=MEAN, std=STD, format_shape="NCHW"),
             train_cfg=None, test_cfg=None)


def config_1x(name, model, p, dataset="kinetics400", epochs=50, batch=16, lr=0.02, video_source=True):
    """A merged 1.x config (video dataset, decord) whose test pipeline is `p`."""
    root = {"kinetics400": "data/kinetics400", "sthv2": "data/sthv2"}[dataset]
    train_root, val_root = (f"{root}/videos_train", f"{root}/videos_val") if dataset == "kinetics400" else (f"{root}/videos", f"{root}/videos")
    ann = {s: f"{root}/{dataset}_{s}_list_videos.txt" for s in ("train", "val")}
    c = p["crop_size"]
    train_pipeline = [D(type="DecordInit", io_backend="disk"),
                      D(type="SampleFrames", clip_len=1, frame_interval=1, num_clips=p["num_clips"]),
                      D(type="DecordDecode"), D(type="Resize", scale=(-1, p["resize"])),
                      D(type="MultiScaleCrop", input_size=c, scales=(1, 0.875, 0.75, 0.66), random_crop=False,
                        max_wh_scale_gap=1, num_fixed_crops=13),
                      D(type="Resize", scale=(c, c), keep_ratio=False), D(type="Flip", flip_ratio=0.5),
                      D(type="FormatShape", input_format="NCHW"), D(type="PackActionInputs")]
    val_pipeline = [D(type="DecordInit", io_backend="disk"), sample_frames(p, with_twice=False), D(type="DecordDecode"),
                    D(type="Resize", scale=(-1, p["resize"])), D(type="CenterCrop", crop_size=c),
                    D(type="FormatShape", input_format="NCHW"), D(type="PackActionInputs")]
    test_pipeline = [D(type="DecordInit", io_backend="disk"), sample_frames(p), D(type="DecordDecode"),
                     D(type="Resize", scale=(-1, p["resize"])), crop_op(p),
                     D(type="FormatShape", input_format="NCHW"), D(type="PackActionInputs")]

    def loader(split, pipeline, batch_size, shuffle):
        ds = D(type="VideoDataset", ann_file=ann["train" if split == "train" else "val"],
               data_prefix=D(video=train_root if split == "train" else val_root), pipeline=pipeline)
        if split != "train":
            ds["test_mode"] = True
        return D(batch_size=batch_size, num_workers=8, persistent_workers=True,
                 sampler=D(type="DefaultSampler", shuffle=shuffle), dataset=ds)

    return D(
        default_scope="mmaction",
        default_hooks=D(runtime_info=D(type="RuntimeInfoHook"), timer=D(type="IterTimerHook"),
                        logger=D(type="LoggerHook", interval=20, ignore_last=False),
                        param_scheduler=D(type="ParamSchedulerHook"),
                        checkpoint=D(type="CheckpointHook", interval=3, save_best="auto", max_keep_ckpts=3),
                        sampler_seed=D(type="DistSamplerSeedHook"), sync_buffers=D(type="SyncBuffersHook")),
        env_cfg=D(cudnn_benchmark=False, mp_cfg=D(mp_start_method="fork", opencv_num_threads=0),
                  dist_cfg=D(backend="nccl")),
        log_processor=D(type="LogProcessor", window_size=20, by_epoch=True),
        vis_backends=[D(type="LocalVisBackend")],
        visualizer=D(type="ActionVisualizer", vis_backends=[D(type="LocalVisBackend")]),
        log_level="INFO", load_from=None, resume=False,
        model=model,
        dataset_type="VideoDataset", data_root=train_root, data_root_val=val_root,
        ann_file_train=ann["train"], ann_file_val=ann["val"], ann_file_test=ann["val"],
        file_client_args=D(io_backend="disk"),
        train_pipeline=train_pipeline, val_pipeline=val_pipeline, test_pipeline=test_pipeline,
        train_dataloader=loader("train", train_pipeline, batch, True),
        val_dataloader=loader("val", val_pipeline, batch, False),
        test_dataloader=loader("test", test_pipeline, 1, False),
        val_evaluator=D(type="AccMetric"), test_evaluator=D(type="AccMetric"),
        train_cfg=D(type="EpochBasedTrainLoop", max_epochs=epochs, val_begin=1, val_interval=1),
        val_cfg=D(type="ValLoop"), test_cfg=D(type="TestLoop"),
        param_scheduler=[D(type="LinearLR", start_factor=0.1, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
                         D(type="MultiStepLR", begin=0, end=epochs, by_epoch=True, milestones=[epochs // 2, epochs * 9 // 10], gamma=0.1)],
        optim_wrapper=D(constructor="TSMOptimWrapperConstructor", paramwise_cfg=D(fc_lr5=True),
                        optimizer=D(type="SGD", lr=lr, momentum=0.9, weight_decay=0.0001),
                        clip_grad=D(max_norm=20, norm_type=2)),
        auto_scale_lr=D(enable=False, base_batch_size=128),
        launcher="pytorch", work_dir=f"./work_dirs/{name}",
        randomness=D(seed=None, diff_rank_seed=False, deterministic=False),
    )


def config_0x(name, model, p, dataset="kinetics400", epochs=50):
    """A merged 0.x config (rawframes, Normalize in the pipeline, average_clips in model.test_cfg)."""
    root = {"kinetics400": "data/kinetics400", "jester": "data/jester"}[dataset]
    train_root, val_root = (f"{root}/rawframes_train", f"{root}/rawframes_val") if dataset == "kinetics400" else (f"{root}/rawframes", f"{root}/rawframes")
    ann = {s: f"{root}/{dataset}_{s}_list_rawframes.txt" for s in ("train", "val")}
    c = p["crop_size"]
    norm = D(type="Normalize", mean=MEAN, std=STD, to_bgr=False)
    train_pipeline = [D(type="SampleFrames", clip_len=1, frame_interval=1, num_clips=p["num_clips"]),
                      D(type="RawFrameDecode"), D(type="Resize", scale=(-1, p["resize"])),
                      D(type="MultiScaleCrop", input_size=c, scales=(1, 0.875, 0.75, 0.66), random_crop=False,
                        max_wh_scale_gap=1, num_fixed_crops=13),
                      D(type="Resize", scale=(c, c), keep_ratio=False)]
    if dataset != "jester":  # left/right gestures must not be mirrored
        train_pipeline.append(D(type="Flip", flip_ratio=0.5))
    train_pipeline += [norm, D(type="FormatShape", input_format="NCHW"),
                       D(type="Collect", keys=["imgs", "label"], meta_keys=[]), D(type="ToTensor", keys=["imgs", "label"])]
    val_pipeline = [sample_frames(p, with_twice=False), D(type="RawFrameDecode"), D(type="Resize", scale=(-1, p["resize"])),
                    D(type="CenterCrop", crop_size=c), norm, D(type="FormatShape", input_format="NCHW"),
                    D(type="Collect", keys=["imgs", "label"], meta_keys=[]), D(type="ToTensor", keys=["imgs"])]
    test_pipeline = [sample_frames(p), D(type="RawFrameDecode"), D(type="Resize", scale=(-1, p["resize"])), crop_op(p),
                     norm, D(type="FormatShape", input_format="NCHW"),
                     D(type="Collect", keys=["imgs", "label"], meta_keys=[]), D(type="ToTensor", keys=["imgs"])]

    def ds(split, pipeline):
        d = D(type="RawframeDataset", ann_file=ann["train" if split == "train" else "val"],
              data_prefix=train_root if split == "train" else val_root)
        if dataset == "jester":
            d["filename_tmpl"] = "{:05}.jpg"
        d["pipeline"] = pipeline
        return d

    return D(
        model=model,
        optimizer=D(type="SGD", constructor="TSMOptimizerConstructor", paramwise_cfg=D(fc_lr5=True), lr=0.01,
                    momentum=0.9, weight_decay=0.0001),
        optimizer_config=D(grad_clip=D(max_norm=20, norm_type=2)),
        lr_config=D(policy="step", step=[epochs * 2 // 5, epochs * 4 // 5]),
        total_epochs=epochs,
        checkpoint_config=D(interval=5),
        log_config=D(interval=20, hooks=[D(type="TextLoggerHook")]),
        dist_params=D(backend="nccl"), log_level="INFO", load_from=None, resume_from=None,
        workflow=[("train", 1)], opencv_num_threads=0, mp_start_method="fork",
        dataset_type="RawframeDataset", data_root=train_root, data_root_val=val_root,
        ann_file_train=ann["train"], ann_file_val=ann["val"], ann_file_test=ann["val"],
        img_norm_cfg=D(mean=MEAN, std=STD, to_bgr=False),
        train_pipeline=train_pipeline, val_pipeline=val_pipeline, test_pipeline=test_pipeline,
        data=D(videos_per_gpu=8, workers_per_gpu=2, test_dataloader=D(videos_per_gpu=1),
               train=ds("train", train_pipeline), val=ds("val", val_pipeline), test=ds("test", test_pipeline)),
        evaluation=D(interval=5, metrics=["top_k_accuracy", "mean_class_accuracy"]),
        work_dir=f"./work_dirs/{name}/",
        gpu_ids=Raw("range(0, 8)"),
        omnisource=False,
        module_hooks=[],
    )


def tsm_backbone(depth=50, pretrained=R50_URL, shift_place=None, temporal_pool=False, non_local=None, nl_mode=None,
                 use_scale=False, num_segments=None):
    b = D(type="ResNetTSM", pretrained=pretrained, depth=depth, norm_eval=False, shift_div=8)
    if num_segments:
        b["num_segments"] = num_segments
    if shift_place:
        b["shift_place"] = shift_place
    if temporal_pool:
        b["temporal_pool"] = True
    if non_local:
        b["non_local"] = non_local
        b["non_local_cfg"] = D(sub_sample=True, use_scale=use_scale, norm_cfg=D(type="BN3d", requires_grad=True),
                               mode=nl_mode)
    return b


def tsm_head(num_classes, in_channels=2048, average_clips="prob", temporal_pool=False, dropout=0.5):
    h = D(type="TSMHead", num_classes=num_classes, in_channels=in_channels, spatial_type="avg",
          consensus=D(type="AvgConsensus", dim=1), dropout_ratio=dropout, init_std=0.001, is_shift=True)
    if temporal_pool:
        h["temporal_pool"] = True
    if average_clips:
        h["average_clips"] = average_clips
    return h


def tsn_head(num_classes, average_clips="prob"):
    h = D(type="TSNHead", num_classes=num_classes, in_channels=2048, spatial_type="avg",
          consensus=D(type="AvgConsensus", dim=1), dropout_ratio=0.4, init_std=0.01)
    if average_clips:
        h["average_clips"] = average_clips
    return h


def model_0x(backbone, head):
    return D(type="Recognizer2D", backbone=backbone, cls_head=head, train_cfg=None,
             test_cfg=D(average_clips="prob"))


# test pipelines of the reference inputs (small sizes; see each config)
TEN64 = D(num_clips=8, resize=72, crop="TenCrop", crop_size=64)
CENTER64 = D(num_clips=8, resize=72, crop="CenterCrop", crop_size=64)
THREE64_TWICE = D(num_clips=8, twice_sample=True, resize=64, crop="ThreeCrop", crop_size=64)
THREE96 = D(num_clips=8, resize=96, crop="ThreeCrop", crop_size=96)
THREE64_25 = D(num_clips=25, resize=64, crop="ThreeCrop", crop_size=64)
CENTER96 = D(num_clips=8, resize=112, crop="CenterCrop", crop_size=96)
TEN64_3 = D(num_clips=3, resize=72, crop="TenCrop", crop_size=64)

R50_1X = "tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_kinetics400-rgb"
NL_1X = "tsm_imagenet-pretrained-r50-nl-{}_8xb16-1x1x8-50e_kinetics400-rgb"


def _nl_1x(mode_token, mode, use_scale, p):
    name = NL_1X.format(mode_token)
    return name, ("mmengine", config_1x(name, model_1x(tsm_backbone(non_local=NL_STAGES, nl_mode=mode, use_scale=use_scale),
                                                        tsm_head(400)), p), p)


def _configs():
    c = {}
    c[R50_1X] = ("mmengine", config_1x(R50_1X, model_1x(tsm_backbone(), tsm_head(400)), TEN64), TEN64)
    n = "tsm_imagenet-pretrained-r101_8xb16-1x1x8-50e_sthv2-rgb"
    c[n] = ("mmengine", config_1x(n, model_1x(tsm_backbone(101, R101_URL), tsm_head(174)), THREE64_TWICE, dataset="sthv2",
                                  lr=0.01), THREE64_TWICE)
    n = "tsm_imagenet-pretrained-r50-tpool_8xb16-1x1x8-50e_kinetics400-rgb"
    c[n] = ("mmengine", config_1x(n, model_1x(tsm_backbone(temporal_pool=True), tsm_head(400, temporal_pool=True)),
                                  CENTER64), CENTER64)
    for token, mode, scale, p in (("embedded-gaussian", "embedded_gaussian", False, TEN64),
                                  ("embedded-gaussian-scale", "embedded_gaussian", True, CENTER64),
                                  ("dot-product", "dot_product", False, CENTER64),
                                  ("gaussian", "gaussian", False, CENTER64)):
        name, entry = _nl_1x(token, mode, scale, p)
        c[name] = entry
    n = "tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb"
    mbv2 = D(type="MobileNetV2TSM", shift_div=8, num_segments=8, is_shift=True, pretrained="mmcls://mobilenet_v2")
    c[n] = ("mmengine", config_1x(n, model_1x(mbv2, tsm_head(400, in_channels=1280)), THREE96, epochs=100, lr=0.01),
            THREE96)
    n = "tsn_imagenet-pretrained-r50_8xb32-1x1x8-100e_kinetics400-rgb"
    tsn = D(type="ResNet", pretrained=R50_URL, depth=50, norm_eval=False)
    c[n] = ("mmengine", config_1x(n, model_1x(tsn, tsn_head(400)), THREE64_25, epochs=100, batch=32, lr=0.01), THREE64_25)
    # 0.x
    n = "tsm_r50_block_1x1x8_50e_jester_rgb"
    c[n] = ("mmcv", config_0x(n, model_0x(tsm_backbone(pretrained="torchvision://resnet50", shift_place="block"),
                                          tsm_head(27, average_clips=None)), CENTER96, dataset="jester"), CENTER96)
    n = "tsm_nl_embedded_gaussian_r50_1x1x8_50e_kinetics400_rgb"
    nl = tsm_backbone(pretrained="torchvision://resnet50", non_local=NL_STAGES, nl_mode="embedded_gaussian")
    c[n] = ("mmcv", config_0x(n, model_0x(nl, tsm_head(400, average_clips=None)), CENTER64), CENTER64)
    n = "tsn_r50_1x1x3_100e_kinetics400_rgb"
    tsn0 = D(type="ResNet", pretrained="torchvision://resnet50", depth=50, norm_eval=False)
    c[n] = ("mmcv", config_0x(n, model_0x(tsn0, tsn_head(400, average_clips=None)), TEN64_3, epochs=100), TEN64_3)
    return c


CONFIGS = _configs()


def text(name):
    style, cfg, _ = CONFIGS[name]
    return render(cfg, style)


def settings(name):
    """What the reference model and input take from a config: the same data the text was rendered from."""
    style, cfg, p = CONFIGS[name]
    model = cfg["model"]
    b, h = model["backbone"], model["cls_head"]
    nl = b.get("non_local_cfg")
    average = h.get("average_clips") if style == "mmengine" else model["test_cfg"]["average_clips"]
    kind = b["type"]
    spec = dict(backbone=kind, head=h["type"], num_classes=h["num_classes"])
    if kind == "ResNetTSM" or kind == "ResNet":
        spec["depth"] = b["depth"]
    if kind != "ResNet":
        spec.update(num_segments=b.get("num_segments", 8), shift_div=b.get("shift_div", 8))
    if kind == "ResNetTSM":
        spec.update(shift_place=b.get("shift_place", "blockres"), temporal_pool=b.get("temporal_pool", False))
        if nl:
            spec.update(non_local=b["non_local"],
                        non_local_cfg=dict(mode=nl["mode"], use_scale=nl["use_scale"], sub_sample=nl["sub_sample"]))
    segments = spec.get("num_segments", p["num_clips"])  # TSN: a view is all num_clips frames
    return dict(spec=spec, pipeline=dict(p), segments=segments, average_clips=average,
                keyset="1.x" if style == "mmengine" else "0.x")


def read_back(source):
    """The text parsed back into data without evaluating it (ast; `dict(...)` calls, literals, and str() values
    such as range(0, 8) as Raw), to check that a rendered text says what its data says."""
    def value(node):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
            return {kw.arg: value(kw.value) for kw in node.keywords}
        if isinstance(node, ast.Call):
            return Raw(ast.unparse(node))
        if isinstance(node, ast.List):
            return [value(e) for e in node.elts]
        if isinstance(node, ast.Tuple):
            return tuple(value(e) for e in node.elts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.Constant):
            return node.value
        raise ValueError(f"not a literal: {ast.dump(node)}")
    out = {}
    for stmt in ast.parse(source).body:
        assert isinstance(stmt, ast.Assign) and len(stmt.targets) == 1, ast.dump(stmt)
        out[stmt.targets[0].id] = value(stmt.value)
    return out


def path(name):
    return os.path.join(CONFIG_DIR, name + ".py")


def stale():
    """Config files that differ from what this module renders (or are missing)."""
    return [n for n in CONFIGS if not os.path.exists(path(n)) or open(path(n)).read() != text(n)]


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: mma_configs.py --write")
    os.makedirs(CONFIG_DIR, exist_ok=True)
    for n in CONFIGS:
        with open(path(n), "w") as f:
            f.write(text(n))
        print(path(n))
