#!/usr/bin/env python3
"""MMAction2 TSM/TSN training configs as their checkpoints carry them: `meta.cfg` (1.x) and `meta.config` (0.x).

Usage: /usr/bin/python3 tools/make_mmaction2_configs.py [OUT_DIR]   (default fixtures/mmaction2-configs; needs yapf:
apt-get install python3-yapf)

Both releases store the merged training config as Python source written by the config's `pretty_text`: every dict with
identifier keys as `dict(k=v, ...)`, a dict with any other key as `{k: v}` (wrapped as `dict({...})` where it is a value),
the items of a list or tuple one a line with a trailing comma, strings as `repr`, then the whole formatted by yapf (pep8
base, `blank_line_before_nested_class_or_def`, `split_before_expression_after_opening_paren`). mmengine (1.x) sorts the
keys of every dict by `str(key)`; mmcv 1.x (0.x) keeps their order. This script writes that shape itself, from config
data reconstructed from MMAction2's config files (the `_base_` files merged as mmengine/mmcv merge them, plus what
`tools/train.py` sets: `work_dir`, `launcher`); yapf does the layout.

Writes OUT_DIR/<cfg>.py (the config texts), OUT_DIR/plain/<cfg>.py (the same data as a person writes a config file: one
module, variables referenced by later assignments, `**` spreads, comments, double quotes) and OUT_DIR/manifest.json:
{file: {release, data}} where data is what Python itself makes of the text (compiled and run with `dict` as the only
builtin: these texts are ours), tuples as {"__tuple__": [...]}. Each text is checked to read back as the data it was
printed from.
"""
import copy
import json
import os
import sys

from yapf.yapflib.yapf_api import FormatCode

YAPF_STYLE = dict(based_on_style='pep8', blank_line_before_nested_class_or_def=True,
                  split_before_expression_after_opening_paren=True)


# ---------------------------------------------------------------- the pretty_text shape (written here, not copied)

def _indent_rest(text, spaces=4):
    """Indent every line but the first (the first continues the line it is placed on)."""
    first, *rest = text.split('\n')
    return '\n'.join([first] + [' ' * spaces + line for line in rest])


def _scalar(value):
    return repr(value) if isinstance(value, str) else str(value)


class _Printer:
    """The unformatted text of one release: dict keys sorted by str(key) (mmengine) or in their order (mmcv)."""

    def __init__(self, sort_keys):
        self.sort_keys = sort_keys

    def sequence(self, value):
        opening, closing = ('[', ']') if isinstance(value, list) else ('(', ')')
        lines = [opening]
        for item in value:
            if isinstance(item, dict):
                lines.append(_indent_rest('dict(' + self.body(item) + ')') + ',')
            elif isinstance(item, (list, tuple)):
                lines.append(_indent_rest(self.sequence(item)) + ',')
            else:
                lines.append(_scalar(item) + ',')
        return _indent_rest('\n'.join(lines)) + '\n' + closing

    def entry(self, key, value, as_mapping):
        head = ((repr(key) if isinstance(key, str) else str(key)) + ': ') if as_mapping else (str(key) + '=')
        if isinstance(value, dict):
            return _indent_rest(head + 'dict(\n' + self.body(value)) + ')'
        if isinstance(value, (list, tuple)):
            return _indent_rest(head + self.sequence(value))
        return _indent_rest(head + _scalar(value))

    def body(self, mapping, top=False):
        as_mapping = any(not str(k).isidentifier() for k in mapping)
        items = sorted(mapping.items(), key=lambda kv: str(kv[0])) if self.sort_keys else list(mapping.items())
        lines = []
        for i, (key, value) in enumerate(items):
            comma = '' if top or i == len(items) - 1 else ','
            lines.append(self.entry(key, value, as_mapping) + comma)
        text = '\n'.join(lines)
        return '{' + text + '}' if as_mapping else text


def pretty_text(config, sort_keys):
    text, _ = FormatCode(_Printer(sort_keys).body(config, top=True), style_config=YAPF_STYLE)
    return text


# ---------------------------------------------------------------- merging (mmengine/mmcv: dicts merge key by key)

def merge(base, override):
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]
K400_V = 'data/kinetics400/videos_'
STHV2_FLIP = {86: 87, 87: 86, 93: 94, 94: 93, 166: 167, 167: 166}


# ---------------------------------------------------------------- 1.x (mmengine) configs

def runtime_1x():
    vis_backends = [dict(type='LocalVisBackend')]
    return dict(
        default_scope='mmaction',
        default_hooks=dict(
            runtime_info=dict(type='RuntimeInfoHook'), timer=dict(type='IterTimerHook'),
            logger=dict(type='LoggerHook', interval=20, ignore_last=False),
            param_scheduler=dict(type='ParamSchedulerHook'),
            checkpoint=dict(type='CheckpointHook', interval=1, save_best='auto'),
            sampler_seed=dict(type='DistSamplerSeedHook'), sync_buffers=dict(type='SyncBuffersHook')),
        env_cfg=dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
                     dist_cfg=dict(backend='nccl')),
        log_processor=dict(type='LogProcessor', window_size=20, by_epoch=True),
        vis_backends=vis_backends,
        visualizer=dict(type='ActionVisualizer', vis_backends=vis_backends),
        log_level='INFO', load_from=None, resume=False)


def schedule_1x(epochs, milestones, lr=0.01, warmup=True):
    scheduler = [dict(type='MultiStepLR', begin=0, end=epochs, by_epoch=True, milestones=milestones, gamma=0.1)]
    if warmup:
        scheduler.insert(0, dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=5,
                                 convert_to_iter_based=True))
    return dict(
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_begin=1, val_interval=1),
        val_cfg=dict(type='ValLoop'), test_cfg=dict(type='TestLoop'),
        param_scheduler=scheduler,
        optim_wrapper=dict(constructor='TSMOptimWrapperConstructor', paramwise_cfg=dict(fc_lr5=True),
                           optimizer=dict(type='SGD', lr=lr, momentum=0.9, weight_decay=0.0001),
                           clip_grad=dict(max_norm=20, norm_type=2)))


def model_tsm_r50_1x():
    return dict(
        type='Recognizer2D',
        backbone=dict(type='ResNetTSM', pretrained='torchvision://resnet50', depth=50, norm_eval=False, shift_div=8),
        cls_head=dict(type='TSMHead', num_classes=400, in_channels=2048, spatial_type='avg',
                      consensus=dict(type='AvgConsensus', dim=1), dropout_ratio=0.5, init_std=0.001, is_shift=True,
                      average_clips='prob'),
        data_preprocessor=dict(type='ActionDataPreprocessor', mean=MEAN, std=STD, format_shape='NCHW'),
        train_cfg=None, test_cfg=None)


def video_pipelines_1x(clips, test_crop, test_crop_size, sampler='SampleFrames', twice=False, flip_map=None,
                       test_clips=None):
    io = dict(io_backend='disk')
    test_sample = dict(type=sampler, clip_len=1, frame_interval=1, num_clips=test_clips or clips, test_mode=True)
    if twice:
        test_sample['twice_sample'] = True
    flip = dict(type='Flip', flip_ratio=0.5)
    if flip_map is not None:
        flip['flip_label_map'] = flip_map
    train = [
        dict(type='DecordInit', **io), dict(type=sampler, clip_len=1, frame_interval=1, num_clips=clips),
        dict(type='DecordDecode'), dict(type='Resize', scale=(-1, 256)),
        dict(type='MultiScaleCrop', input_size=224, scales=(1, 0.875, 0.75, 0.66), random_crop=False,
             max_wh_scale_gap=1, num_fixed_crops=13),
        dict(type='Resize', scale=(224, 224), keep_ratio=False), flip,
        dict(type='FormatShape', input_format='NCHW'), dict(type='PackActionInputs')]
    val = [dict(type='DecordInit', **io), dict(test_sample, num_clips=clips), dict(type='DecordDecode'),
           dict(type='Resize', scale=(-1, 256)), dict(type='CenterCrop', crop_size=224),
           dict(type='FormatShape', input_format='NCHW'), dict(type='PackActionInputs')]
    test = [dict(type='DecordInit', **io), test_sample, dict(type='DecordDecode'),
            dict(type='Resize', scale=(-1, 256)), dict(type=test_crop, crop_size=test_crop_size),
            dict(type='FormatShape', input_format='NCHW'), dict(type='PackActionInputs')]
    return io, train, val, test


def data_1x(root, ann, clips, test_crop, test_crop_size, batch=16, **pipeline_options):
    io, train, val, test = video_pipelines_1x(clips, test_crop, test_crop_size, **pipeline_options)
    ann_train, ann_val = f'{ann}_train_list_videos.txt', f'{ann}_val_list_videos.txt'
    root_train, root_val = (root + 'train', root + 'val') if root.endswith('_') else (root, root)

    def loader(size, shuffle, ann_file, prefix, pipeline, test_mode=False):
        dataset = dict(type='VideoDataset', ann_file=ann_file, data_prefix=dict(video=prefix), pipeline=pipeline)
        if test_mode:
            dataset['test_mode'] = True
        return dict(batch_size=size, num_workers=8, persistent_workers=True,
                    sampler=dict(type='DefaultSampler', shuffle=shuffle), dataset=dataset)
    evaluator = dict(type='AccMetric')
    return dict(
        dataset_type='VideoDataset', data_root=root_train, data_root_val=root_val, ann_file_train=ann_train,
        ann_file_val=ann_val, ann_file_test=ann_val, file_client_args=io, train_pipeline=train, val_pipeline=val,
        test_pipeline=test, train_dataloader=loader(batch, True, ann_train, root_train, train),
        val_dataloader=loader(batch, False, ann_val, root_val, val, True),
        test_dataloader=loader(1, False, ann_val, root_val, test, True),
        val_evaluator=evaluator, test_evaluator=evaluator,
        default_hooks=dict(checkpoint=dict(interval=3, max_keep_ckpts=3)),
        auto_scale_lr=dict(enable=False, base_batch_size=128))


def run_1x(name, *parts):
    config = {}
    for part in parts:
        config = merge(config, part)
    return merge(config, dict(work_dir=f'./work_dirs/{name}', launcher='pytorch'))


def tsm_k400_1x(name, epochs=50, clips=8, sampler='SampleFrames', model_override=None):
    model = merge(model_tsm_r50_1x(), model_override or {})
    if clips != 8:
        model = merge(model, dict(backbone=dict(num_segments=clips), cls_head=dict(num_segments=clips)))
    return run_1x(name, runtime_1x(), schedule_1x(epochs, [20, 40] if epochs == 50 else [40, 80]), dict(model=model),
                  data_1x(K400_V, 'data/kinetics400/kinetics400', clips, 'TenCrop', 224, sampler=sampler))


def non_local_1x(mode):
    return dict(backbone=dict(
        non_local=((0, 0, 0), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 0, 0)),
        non_local_cfg=dict(sub_sample=True, use_scale=False, norm_cfg=dict(type='BN3d', requires_grad=True),
                           mode=mode)))


def tsm_sthv2_1x(name, clips, depth=50):
    backbone = dict(pretrained='https://download.pytorch.org/models/resnet50-11ad3fa6.pth')
    if depth == 101:
        backbone = dict(depth=101, pretrained='https://download.pytorch.org/models/resnet101-cd907fc2.pth')
    if clips != 8:
        backbone['num_segments'] = clips
    head = dict(num_classes=174, dropout_ratio=0.5)
    if clips != 8:
        head['num_segments'] = clips
    model = merge(model_tsm_r50_1x(), dict(backbone=backbone, cls_head=head))
    data = data_1x('data/sthv2/videos', 'data/sthv2/sthv2', clips, 'ThreeCrop', 256, batch=16, twice=True,
                   flip_map=STHV2_FLIP)
    data['data_root_val'] = 'data/sthv2/videos'
    data['sthv2_flip_label_map'] = STHV2_FLIP
    return run_1x(name, runtime_1x(), schedule_1x(50, [25, 45], lr=0.01), dict(model=model), data)


def mobilenetv2_1x(name):
    model = dict(
        type='Recognizer2D',
        backbone=dict(type='MobileNetV2TSM', shift_div=8, num_segments=8, is_shift=True, pretrained='mmcls://mobilenet_v2'),
        cls_head=dict(type='TSMHead', num_segments=8, num_classes=400, in_channels=1280, spatial_type='avg',
                      consensus=dict(type='AvgConsensus', dim=1), dropout_ratio=0.5, init_std=0.001, is_shift=True,
                      average_clips='prob'),
        data_preprocessor=dict(type='ActionDataPreprocessor', mean=MEAN, std=STD, format_shape='NCHW'),
        train_cfg=None, test_cfg=None)
    schedule = schedule_1x(100, [40, 80], lr=0.01)
    schedule['optim_wrapper']['optimizer']['weight_decay'] = 0.00004
    return run_1x(name, runtime_1x(), schedule, dict(model=model),
                  data_1x(K400_V, 'data/kinetics400/kinetics400', 8, 'ThreeCrop', 256))


def tsn_r50_1x(name):
    model = dict(
        type='Recognizer2D',
        backbone=dict(type='ResNet', pretrained='https://download.pytorch.org/models/resnet50-11ad3fa6.pth', depth=50,
                      norm_eval=False),
        cls_head=dict(type='TSNHead', num_classes=400, in_channels=2048, spatial_type='avg',
                      consensus=dict(type='AvgConsensus', dim=1), dropout_ratio=0.4, init_std=0.01,
                      average_clips='prob'),
        data_preprocessor=dict(type='ActionDataPreprocessor', mean=MEAN, std=STD, format_shape='NCHW'),
        train_cfg=None, test_cfg=None)
    schedule = schedule_1x(100, [40, 80], warmup=False)
    schedule['optim_wrapper'] = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
                                     clip_grad=dict(max_norm=40, norm_type=2))
    data = data_1x(K400_V, 'data/kinetics400/kinetics400', 8, 'TenCrop', 224, batch=32, test_clips=25)
    return run_1x(name, runtime_1x(), schedule, dict(model=model), data)


# ---------------------------------------------------------------- 0.x (mmcv 1.x) configs

def runtime_0x(name):
    return dict(checkpoint_config=dict(interval=5), log_config=dict(interval=20, hooks=[dict(type='TextLoggerHook')]),
                dist_params=dict(backend='nccl'), log_level='INFO', load_from=None, resume_from=None,
                workflow=[('train', 1)], opencv_num_threads=0, mp_start_method='fork',
                work_dir=f'./work_dirs/{name}/')


def model_0x(backbone, in_channels):
    return dict(
        type='Recognizer2D', backbone=backbone,
        cls_head=dict(type='TSMHead', num_classes=400, in_channels=in_channels, spatial_type='avg',
                      consensus=dict(type='AvgConsensus', dim=1), dropout_ratio=0.5, init_std=0.001, is_shift=True),
        train_cfg=None, test_cfg=dict(average_clips='prob'))


def rawframe_data_0x(sampler='SampleFrames'):
    norm = dict(mean=MEAN, std=STD, to_bgr=False)
    train = [dict(type=sampler, clip_len=1, frame_interval=1, num_clips=8), dict(type='RawFrameDecode'),
             dict(type='Resize', scale=(-1, 256)),
             dict(type='MultiScaleCrop', input_size=224, scales=(1, 0.875, 0.75, 0.66), random_crop=False,
                  max_wh_scale_gap=1, num_fixed_crops=13),
             dict(type='Resize', scale=(224, 224), keep_ratio=False), dict(type='Flip', flip_ratio=0.5),
             dict(type='Normalize', **norm), dict(type='FormatShape', input_format='NCHW'),
             dict(type='Collect', keys=['imgs', 'label'], meta_keys=[]), dict(type='ToTensor', keys=['imgs', 'label'])]
    test = [dict(type=sampler, clip_len=1, frame_interval=1, num_clips=8, test_mode=True), dict(type='RawFrameDecode'),
            dict(type='Resize', scale=(-1, 256)), dict(type='CenterCrop', crop_size=224), dict(type='Normalize', **norm),
            dict(type='FormatShape', input_format='NCHW'), dict(type='Collect', keys=['imgs', 'label'], meta_keys=[]),
            dict(type='ToTensor', keys=['imgs'])]
    root, root_val = 'data/kinetics400/rawframes_train', 'data/kinetics400/rawframes_val'
    ann_train = 'data/kinetics400/kinetics400_train_list_rawframes.txt'
    ann_val = 'data/kinetics400/kinetics400_val_list_rawframes.txt'
    return dict(
        dataset_type='RawframeDataset', data_root=root, data_root_val=root_val, ann_file_train=ann_train,
        ann_file_val=ann_val, ann_file_test=ann_val, img_norm_cfg=norm, train_pipeline=train, val_pipeline=test,
        test_pipeline=test,
        data=dict(videos_per_gpu=8, workers_per_gpu=2, test_dataloader=dict(videos_per_gpu=1),
                  train=dict(type='RawframeDataset', ann_file=ann_train, data_prefix=root, pipeline=train),
                  val=dict(type='RawframeDataset', ann_file=ann_val, data_prefix=root_val, pipeline=test),
                  test=dict(type='RawframeDataset', ann_file=ann_val, data_prefix=root_val, pipeline=test)),
        evaluation=dict(interval=5, metrics=['top_k_accuracy', 'mean_class_accuracy']))


def schedule_0x(epochs, steps, weight_decay=0.0001):
    return dict(optimizer=dict(type='SGD', constructor='TSMOptimizerConstructor', paramwise_cfg=dict(fc_lr5=True),
                               lr=0.01, momentum=0.9, weight_decay=weight_decay),
                optimizer_config=dict(grad_clip=dict(max_norm=20, norm_type=2)),
                lr_config=dict(policy='step', step=steps), total_epochs=epochs)


R50_TSM_0X = dict(type='ResNetTSM', pretrained='torchvision://resnet50', depth=50, norm_eval=False, shift_div=8)


def tsm_r50_0x(name, non_local=None):
    backbone = R50_TSM_0X if non_local is None else merge(R50_TSM_0X, non_local['backbone'])
    return merge(merge(dict(model=model_0x(backbone, 2048)), schedule_0x(50, [20, 40])),
                 merge(rawframe_data_0x(), runtime_0x(name)))


def mobilenetv2_0x(name):
    backbone = dict(type='MobileNetV2TSM', shift_div=8, num_segments=8, is_shift=True, pretrained='mmcls://mobilenet_v2')
    model = merge(model_0x(backbone, 1280), dict(cls_head=dict(num_segments=8)))
    return merge(merge(dict(model=model), schedule_0x(100, [40, 80], weight_decay=0.00004)),
                 merge(rawframe_data_0x('DenseSampleFrames'), runtime_0x(name)))


P = 'tsm_imagenet-pretrained-'
CONFIGS_1X = {
    f'{P}r50_8xb16-1x1x8-50e_kinetics400-rgb': lambda n: tsm_k400_1x(n),
    f'{P}r50_8xb16-1x1x8-100e_kinetics400-rgb': lambda n: tsm_k400_1x(n, epochs=100),
    f'{P}r50_8xb16-1x1x16-50e_kinetics400-rgb': lambda n: tsm_k400_1x(n, clips=16),
    f'{P}r50_8xb16-dense-1x1x8-50e_kinetics400-rgb': lambda n: tsm_k400_1x(n, sampler='DenseSampleFrames'),
    f'{P}r50-nl-embedded-gaussian_8xb16-1x1x8-50e_kinetics400-rgb':
        lambda n: tsm_k400_1x(n, model_override=non_local_1x('embedded_gaussian')),
    f'{P}r50-nl-dot-product_8xb16-1x1x8-50e_kinetics400-rgb':
        lambda n: tsm_k400_1x(n, model_override=non_local_1x('dot_product')),
    f'{P}r50-nl-gaussian_8xb16-1x1x8-50e_kinetics400-rgb':
        lambda n: tsm_k400_1x(n, model_override=non_local_1x('gaussian')),
    f'{P}mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb': mobilenetv2_1x,
    f'{P}r50_8xb16-1x1x8-50e_sthv2-rgb': lambda n: tsm_sthv2_1x(n, 8),
    f'{P}r50_8xb16-1x1x16-50e_sthv2-rgb': lambda n: tsm_sthv2_1x(n, 16),
    f'{P}r101_8xb16-1x1x8-50e_sthv2-rgb': lambda n: tsm_sthv2_1x(n, 8, depth=101),
    'tsn_imagenet-pretrained-r50_8xb32-1x1x8-100e_kinetics400-rgb': tsn_r50_1x,
}
CONFIGS_0X = {
    'tsm_r50_1x1x8_50e_kinetics400_rgb': tsm_r50_0x,
    'tsm_nl_embedded_gaussian_r50_1x1x8_50e_kinetics400_rgb':
        lambda n: tsm_r50_0x(n, non_local=non_local_1x('embedded_gaussian')),
    'tsm_mobilenetv2_dense_1x1x8_kinetics400_rgb': mobilenetv2_0x,
}

# The 0.x R50 config as a person writes one file of it: comments, variables used by later assignments, `**` spreads,
# double quotes, implicit string concatenation, a backslash continuation. Python reads it as the merged data above.
PLAIN_0X_R50 = '''\
# model settings
model = dict(
    type="Recognizer2D",
    backbone=dict(type="ResNetTSM", pretrained="torchvision://resnet50", depth=50, norm_eval=False, shift_div=8),
    cls_head=dict(
        type="TSMHead", num_classes=400, in_channels=2048, spatial_type="avg",
        consensus=dict(type="AvgConsensus", dim=1), dropout_ratio=0.5, init_std=1e-3, is_shift=True,
    ),
    # model training and testing settings
    train_cfg=None,
    test_cfg=dict(average_clips="prob"),
)
optimizer = dict(
    type="SGD", constructor="TSMOptimizerConstructor", paramwise_cfg=dict(fc_lr5=True),
    lr=0.01,  # this lr is used for 8 gpus
    momentum=0.9, weight_decay=1e-4,
)
optimizer_config = dict(grad_clip=dict(max_norm=20, norm_type=2))
lr_config = dict(policy="step", step=[20, 40])
total_epochs = 50

# dataset settings
dataset_type = "RawframeDataset"
data_root = "data/kinetics400/rawframes_train"
data_root_val = "data/kinetics400/rawframes_val"
ann_file_train = "data/kinetics400/" \\
    "kinetics400_train_list_rawframes.txt"
ann_file_val = ("data/kinetics400/"
                "kinetics400_val_list_rawframes.txt")
ann_file_test = ann_file_val
img_norm_cfg = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_bgr=False)
train_pipeline = [
    dict(type="SampleFrames", clip_len=1, frame_interval=1, num_clips=8),
    dict(type="RawFrameDecode"),
    dict(type="Resize", scale=(-1, 256)),
    dict(type="MultiScaleCrop", input_size=224, scales=(1, .875, .75, .66), random_crop=False,
         max_wh_scale_gap=1, num_fixed_crops=13),
    dict(type="Resize", scale=(224, 224), keep_ratio=False),
    dict(type="Flip", flip_ratio=0.5),
    dict(type="Normalize", **img_norm_cfg),
    dict(type="FormatShape", input_format="NCHW"),
    dict(type="Collect", keys=["imgs", "label"], meta_keys=[]),
    dict(type="ToTensor", keys=["imgs", "label"]),
]
val_pipeline = [
    dict(type="SampleFrames", clip_len=1, frame_interval=1, num_clips=8, test_mode=True),
    dict(type="RawFrameDecode"),
    dict(type="Resize", scale=(-1, 256)),
    dict(type="CenterCrop", crop_size=224),
    dict(type="Normalize", **img_norm_cfg),
    dict(type="FormatShape", input_format="NCHW"),
    dict(type="Collect", keys=["imgs", "label"], meta_keys=[]),
    dict(type="ToTensor", keys=["imgs"]),
]
test_pipeline = val_pipeline
data = dict(
    videos_per_gpu=8,
    workers_per_gpu=2,
    test_dataloader=dict(videos_per_gpu=1),
    train=dict(type=dataset_type, ann_file=ann_file_train, data_prefix=data_root, pipeline=train_pipeline),
    val=dict(type=dataset_type, ann_file=ann_file_val, data_prefix=data_root_val, pipeline=val_pipeline),
    test=dict(type=dataset_type, ann_file=ann_file_test, data_prefix=data_root_val, pipeline=test_pipeline),
)
evaluation = dict(interval=5, metrics=["top_k_accuracy", "mean_class_accuracy"])

# runtime settings
checkpoint_config = dict(interval=5)
log_config = dict(interval=20, hooks=[dict(type="TextLoggerHook"), ])
dist_params = dict(backend="nccl")
log_level = "INFO"
load_from = None
resume_from = None
workflow = [("train", 1)]
opencv_num_threads = 0
mp_start_method = "fork"
work_dir = "./work_dirs/tsm_r50_1x1x8_50e_kinetics400_rgb/"
'''


# ---------------------------------------------------------------- reading back (Python's own view of each text)

def python_reads(text):
    """What Python makes of a config text: run with `dict` as its only builtin (the texts are this script's own)."""
    scope = {'__builtins__': {'dict': dict}}
    exec(compile(text, '<config>', 'exec'), scope)
    del scope['__builtins__']
    return scope


def tagged(value):
    """JSON with tuples kept apart from lists; dict keys as str (ints print the same in Python and JavaScript)."""
    if isinstance(value, tuple):
        return {'__tuple__': [tagged(v) for v in value]}
    if isinstance(value, list):
        return [tagged(v) for v in value]
    if isinstance(value, dict):
        assert all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in value), value.keys()
        return {str(k): tagged(v) for k, v in value.items()}
    assert value is None or isinstance(value, (bool, int, float, str)), value
    return value


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', 'fixtures',
                                                             'mmaction2-configs')
    os.makedirs(os.path.join(out, 'plain'), exist_ok=True)
    manifest = {}
    for release, table, sort_keys in (('1.x', CONFIGS_1X, True), ('0.x', CONFIGS_0X, False)):
        for name, build in table.items():
            config = build(name)
            text = pretty_text(config, sort_keys)
            read = python_reads(text)
            assert read == config, name
            if sort_keys:
                assert list(read) == sorted(config), name
            with open(os.path.join(out, name + '.py'), 'w') as f:
                f.write(text)
            manifest[name + '.py'] = dict(release=release, data=tagged(read))
    plain = python_reads(PLAIN_0X_R50)
    assert plain == CONFIGS_0X['tsm_r50_1x1x8_50e_kinetics400_rgb']('tsm_r50_1x1x8_50e_kinetics400_rgb'), 'plain'
    with open(os.path.join(out, 'plain', 'tsm_r50_1x1x8_50e_kinetics400_rgb.py'), 'w') as f:
        f.write(PLAIN_0X_R50)
    manifest['plain/tsm_r50_1x1x8_50e_kinetics400_rgb.py'] = dict(release='0.x', data=tagged(plain))
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write('\n')
    print(f'wrote {len(manifest)} config texts to {out}')


if __name__ == '__main__':
    main()
