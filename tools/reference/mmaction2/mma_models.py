"""Reference models of MMAction2's TSM/TSN recognizers, written from shared/MMACTION2-FACTS.md (§2 keys, §3 shift,
§4 non-local, §5 heads and Recognizer2D), for fixtures and parity checks only (Debian torch 1.13).

Module names are chosen so that `Recognizer2D.state_dict()` has exactly MMAction2's keys: `backbone.*`, `cls_head.*`;
mmcv's ConvModule keeps `conv` and `bn`; TemporalShift keeps the wrapped layer as `net` (so blockres gives
`layerX.Y.conv1.conv.net.weight`, block gives `layerX.Y.net.conv1.conv.weight`); TemporalPool wraps layer2 as
`layer2.net`; NL3DWrapper keeps `block` and `non_local_block`; MobileNetV2TSM shifts `layerX.Y.conv.0` (a whole
ConvModule, so `conv.0.net.conv.weight`).

What a Recognizer2D computes at test time (facts §5): an input [N, M, 3, H, W] (M = views · T frames, crop-major,
normalised) becomes N·M frames, the backbone runs on them and the head gets num_segs = M:
- TSMHead: global average pool, fc on every frame, view(-1, T) (T/2 after temporal pooling), mean over T, so one score
  per view: [N·views, K].
- TSNHead: global average pool, mean of the features over all M frames of the sample, then fc: [N, K]. With several
  views this is the mean of the per-view logits (fc is linear), one score per sample.
Then `average_clips` ('prob': softmax per score row, then mean; 'score': mean of the raw scores) gives [N, K]
(`average_clip` below). `Recognizer2D.view_logits(clip)` gives the per-view logits [views, K] that a single-view export
computes, for both heads; `Recognizer2D.predict` the test step's output.

Where the facts leave a detail open, these are the choices made (and why):
- Non-local `gaussian` (facts: "no theta"): mmcv's semantics as I know them: theta_x is x itself, phi_x is x
  max-pooled (1,2,2) with no conv (the block has no `theta`/`phi` keys, only `g` and `conv_out`), pairwise weights
  softmax(theta_x · phi_x) over the keys with the full C channels, never scaled (`use_scale` only affects
  embedded_gaussian).
- `dot_product`: theta_x · phi_x divided by the number of key positions (after sub-sampling), no softmax, never scaled.
- `embedded_gaussian`: softmax over the keys, divided by sqrt(inter channels) only when `use_scale`.
- inter channels = max(C // 2, 1); the NL output is x + conv_out(y), conv_out = Conv3d 1x1x1 without bias + BN3d.
- NL3DWrapper views frames with the backbone's num_segments (facts §2 build order: shift, non-local, pool); NL and
  temporal pooling together are not built here.
- ResNet style 'pytorch' (stride on the 3x3 conv), as MMAction2's ResNet default; ReLU after the residual add.
- 'block' shift wraps every bottleneck of every stage (the every-second rule of R101 is for blockres, facts §2).

`python3 mma_models.py keys` prints key and parameter counts of the facts' four reference builds (400 classes).
"""
import copy
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

RESNET_DEPTHS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}
NO_NON_LOCAL = ((0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0, 0, 0), (0, 0, 0))


class ConvModule(nn.Module):
    """mmcv ConvModule in the order conv, norm, act: conv bias only without a norm (bias='auto'), norm named `bn`."""

    def __init__(self, cin, cout, kernel_size, stride=1, padding=0, groups=1, dims=2, norm=True, act="relu"):
        super().__init__()
        conv = nn.Conv2d if dims == 2 else nn.Conv3d
        assert dims == 2 or (kernel_size == 1 and stride == 1 and padding == 0 and groups == 1), "Conv3d: 1x1x1 only"
        self.conv = conv(cin, cout, kernel_size, stride=stride, padding=padding, groups=groups, bias=not norm)
        if norm:
            self.bn = (nn.BatchNorm2d if dims == 2 else nn.BatchNorm3d)(cout)
        if act == "relu":
            self.activate = nn.ReLU(inplace=True)
        elif act == "relu6":
            self.activate = nn.ReLU6(inplace=True)

    def forward(self, x):
        if isinstance(self.conv, nn.Conv3d):
            # every Conv3d here is 1x1x1 (non-local): the same channel matmul at each position as a conv2d over the
            # N·T frames, because torch 1.13's CPU Conv3d takes an unblocked path ~10x slower (speed only)
            n, c, t, h, w = x.shape
            frames = x.transpose(1, 2).reshape(n * t, c, h, w)
            weight = self.conv.weight.view(self.conv.out_channels, c, 1, 1)
            x = F.conv2d(frames, weight, self.conv.bias).view(n, t, -1, h, w).transpose(1, 2).contiguous()
        else:
            x = self.conv(x)
        if hasattr(self, "bn"):
            x = self.bn(x)
        if hasattr(self, "activate"):
            x = self.activate(x)
        return x


def shift(x, num_segments, shift_div):
    """Facts §3: frames viewed as [-1, T, C, HW], fold = C // shift_div; channels [0, fold) take frame t+1 (the last
    frame gets zeros), [fold, 2·fold) take frame t-1 (the first gets zeros), the rest stays."""
    n, c, h, w = x.shape
    x = x.reshape(n // num_segments, num_segments, c, h * w)
    fold = c // shift_div
    out = torch.zeros_like(x)
    out[:, :-1, :fold] = x[:, 1:, :fold]
    out[:, 1:, fold:2 * fold] = x[:, :-1, fold:2 * fold]
    out[:, :, 2 * fold:] = x[:, :, 2 * fold:]
    return out.reshape(n, c, h, w)


class TemporalShift(nn.Module):
    """Shift, then the wrapped layer (kept as `net`)."""

    def __init__(self, net, num_segments, shift_div):
        super().__init__()
        self.net = net
        self.num_segments = num_segments
        self.shift_div = shift_div

    def forward(self, x):
        return self.net(shift(x, self.num_segments, self.shift_div))


class TemporalPool(nn.Module):
    """Max over time, kernel 3 / stride 2 / padding 1 (facts §2), then the wrapped layer: T frames become T/2."""

    def __init__(self, net, num_segments):
        super().__init__()
        self.net = net
        self.num_segments = num_segments

    def forward(self, x):
        n, c, h, w = x.shape
        x = x.view(n // self.num_segments, self.num_segments, c, h, w).transpose(1, 2)
        x = F.max_pool3d(x, kernel_size=(3, 1, 1), stride=(2, 1, 1), padding=(1, 0, 0))
        return self.net(x.transpose(1, 2).contiguous().view(n // 2, c, h, w))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = ConvModule(inplanes, planes, 1)
        self.conv2 = ConvModule(planes, planes, 3, stride=stride, padding=1)
        self.conv3 = ConvModule(planes, planes * 4, 1, act=None)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv3(self.conv2(self.conv1(x))) + identity)


class ResNet(nn.Module):
    """MMAction2's ResNet (facts §2): `conv1` ConvModule 7x7/2, max-pool 3/2, layer1..4 of bottlenecks whose
    `downsample` is a ConvModule; returns the last stage's feature map."""

    def __init__(self, depth):
        super().__init__()
        self.conv1 = ConvModule(3, 64, 7, stride=2, padding=3)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        inplanes = 64
        for i, blocks in enumerate(RESNET_DEPTHS[depth]):
            planes, stride = 64 * 2 ** i, 1 if i == 0 else 2
            downsample = ConvModule(inplanes, planes * 4, 1, stride=stride, act=None)
            layers = [Bottleneck(inplanes, planes, stride, downsample)]
            inplanes = planes * 4
            layers += [Bottleneck(inplanes, planes) for _ in range(1, blocks)]
            self.add_module(f"layer{i + 1}", nn.Sequential(*layers))
        self.feat_dim = inplanes

    def forward(self, x):
        x = self.maxpool(self.conv1(x))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


def batched_matmul(a, b):
    """a [N, L, K] @ b [N, K, M]. float32 goes through mkldnn as a grouped 1x1 convolution (positions as the batch,
    samples as groups): Debian's torch uses netlib's reference BLAS for bmm, ~4x slower and less exact (speed only)."""
    if a.dtype != torch.float32:
        return torch.matmul(a, b)
    n, l, k = a.shape
    m = b.shape[2]
    x = a.permute(1, 0, 2).reshape(l, n * k, 1, 1)
    w = b.transpose(1, 2).reshape(n * m, k, 1, 1)
    return F.conv2d(x, w, groups=n).view(l, n, m).permute(1, 0, 2)


class NonLocal3d(nn.Module):
    """mmcv NonLocal3d (facts §4; see the module docstring for the modes). Registration order g, conv_out, theta, phi
    gives the file order of the facts' key list."""

    def __init__(self, in_channels, mode="embedded_gaussian", use_scale=True, sub_sample=True):
        super().__init__()
        assert mode in ("embedded_gaussian", "dot_product", "gaussian"), mode
        self.in_channels = in_channels
        self.inter_channels = max(in_channels // 2, 1)
        self.mode = mode
        self.use_scale = use_scale
        self.sub_sample = sub_sample
        pool = nn.MaxPool3d(kernel_size=(1, 2, 2))
        g = ConvModule(in_channels, self.inter_channels, 1, dims=3, norm=False, act=None)
        self.g = nn.Sequential(g, pool) if sub_sample else g
        self.conv_out = ConvModule(self.inter_channels, in_channels, 1, dims=3, act=None)
        if mode != "gaussian":
            self.theta = ConvModule(in_channels, self.inter_channels, 1, dims=3, norm=False, act=None)
            phi = ConvModule(in_channels, self.inter_channels, 1, dims=3, norm=False, act=None)
            self.phi = nn.Sequential(phi, pool) if sub_sample else phi
        elif sub_sample:
            self.phi = pool

    def queries_keys(self, x):
        """theta_x [N, L, C'] and phi_x [N, C', M] as the pairwise function gets them."""
        n = x.size(0)
        if self.mode == "gaussian":
            theta_x = x.view(n, self.in_channels, -1).permute(0, 2, 1)
            phi_x = (self.phi(x) if self.sub_sample else x).view(n, self.in_channels, -1)
        else:
            theta_x = self.theta(x).view(n, self.inter_channels, -1).permute(0, 2, 1)
            phi_x = self.phi(x).view(n, self.inter_channels, -1)
        return theta_x, phi_x

    def pairwise_logits(self, x):
        """What the softmax sees (embedded_gaussian, gaussian) or the raw products (dot_product): [N, L, M]."""
        theta_x, phi_x = self.queries_keys(x)
        logits = batched_matmul(theta_x, phi_x)
        if self.mode == "embedded_gaussian" and self.use_scale:
            logits = logits / theta_x.shape[-1] ** 0.5
        return logits

    def forward(self, x):
        n = x.size(0)
        g_x = self.g(x).view(n, self.inter_channels, -1).permute(0, 2, 1)
        pairwise = self.pairwise_logits(x)
        if self.mode == "dot_product":
            pairwise = pairwise / pairwise.shape[-1]
        else:
            pairwise = pairwise.softmax(dim=-1)
        y = batched_matmul(pairwise, g_x).permute(0, 2, 1).contiguous().reshape(n, self.inter_channels, *x.shape[2:])
        return x + self.conv_out(y)


class NL3DWrapper(nn.Module):
    """A bottleneck, then a non-local block over [N, C, T, H, W] (T = the backbone's num_segments)."""

    def __init__(self, block, num_segments, non_local_cfg):
        super().__init__()
        self.block = block
        self.non_local_block = NonLocal3d(block.conv3.bn.num_features, **non_local_cfg)
        self.num_segments = num_segments

    def forward(self, x):
        x = self.block(x)
        n, c, h, w = x.shape
        x = x.view(n // self.num_segments, self.num_segments, c, h, w).transpose(1, 2).contiguous()
        x = self.non_local_block(x)
        return x.transpose(1, 2).contiguous().view(n, c, h, w)


class ResNetTSM(ResNet):
    """Facts §2: shift (blockres: `conv1.conv` of every block, of every second one when layer3 has ≥ 23 blocks;
    block: every bottleneck), then non-local wrappers where `non_local[stage][block]` is 1, then temporal pooling
    before layer2 (layers 2-4 shift with T/2)."""

    def __init__(self, depth, num_segments=8, shift_div=8, shift_place="blockres", temporal_pool=False,
                 non_local=NO_NON_LOCAL, non_local_cfg=None):
        super().__init__(depth)
        self.num_segments = num_segments
        stages = [self.layer1, self.layer2, self.layer3, self.layer4]
        segments = [num_segments] + [num_segments // 2 if temporal_pool else num_segments] * 3
        n_round = 2 if len(self.layer3) >= 23 else 1
        for stage, t in zip(stages, segments):
            for i, b in enumerate(list(stage)):
                if shift_place == "blockres":
                    if i % n_round == 0:
                        b.conv1.conv = TemporalShift(b.conv1.conv, t, shift_div)
                elif shift_place == "block":
                    stage[i] = TemporalShift(b, t, shift_div)
                else:
                    raise ValueError(f"shift_place {shift_place!r}")
        if non_local_cfg:
            assert not temporal_pool, "non-local with temporal pooling is not built here"
            for s, (name, flags) in enumerate(zip(("layer1", "layer2", "layer3", "layer4"), non_local)):
                stage = getattr(self, name)
                assert len(flags) == len(stage), f"non_local[{s}] has {len(flags)} flags for {len(stage)} blocks"
                for i, on in enumerate(flags):
                    if on:
                        stage[i] = NL3DWrapper(stage[i], num_segments, non_local_cfg)
        if temporal_pool:
            self.layer2 = TemporalPool(self.layer2, num_segments)


class InvertedResidual(nn.Module):
    """MMAction2 MobileNetV2 block: `conv` = [1x1 expand (unless t = 1), 3x3 depthwise, 1x1 project], ReLU6."""

    def __init__(self, cin, cout, stride, expand_ratio):
        super().__init__()
        hidden = int(round(cin * expand_ratio))
        self.use_res_connect = stride == 1 and cin == cout
        layers = [] if expand_ratio == 1 else [ConvModule(cin, hidden, 1, act="relu6")]
        layers += [ConvModule(hidden, hidden, 3, stride=stride, padding=1, groups=hidden, act="relu6"),
                   ConvModule(hidden, cout, 1, act=None)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2TSM(nn.Module):
    """Facts §2: conv1 3→32/2, layer1..7 from [t, c, n, s], conv2 320→1280, ReLU6; the shift wraps `conv.0` of every
    block with three convs and a residual connection (10 blocks)."""

    SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))

    def __init__(self, num_segments=8, shift_div=8, is_shift=True):
        super().__init__()
        self.conv1 = ConvModule(3, 32, 3, stride=2, padding=1, act="relu6")
        cin = 32
        for i, (t, c, n, s) in enumerate(self.SETTINGS):
            blocks = []
            for j in range(n):
                blocks.append(InvertedResidual(cin, c, s if j == 0 else 1, t))
                cin = c
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
        self.conv2 = ConvModule(cin, 1280, 1, act="relu6")
        self.feat_dim = 1280
        if is_shift:
            for m in self.modules():
                if isinstance(m, InvertedResidual) and len(m.conv) == 3 and m.use_res_connect:
                    m.conv[0] = TemporalShift(m.conv[0], num_segments, shift_div)

    def forward(self, x):
        x = self.conv1(x)
        for i in range(1, 8):
            x = getattr(self, f"layer{i}")(x)
        return self.conv2(x)


class TSMHead(nn.Module):
    """Pool, fc on every frame, view(-1, T) (T/2 with temporal pooling), mean over T: one score per view."""

    def __init__(self, num_classes, in_channels, num_segments=8, temporal_pool=False):
        super().__init__()
        self.fc_cls = nn.Linear(in_channels, num_classes)
        self.num_segments = num_segments
        self.temporal_pool = temporal_pool

    def forward(self, x, num_segs):
        scores = self.fc_cls(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
        t = self.num_segments // 2 if self.temporal_pool else self.num_segments
        return scores.view(-1, t, scores.shape[-1]).mean(1)


class TSNHead(nn.Module):
    """Pool, mean of the features over all num_segs frames of a sample, then fc: one score per sample."""

    def __init__(self, num_classes, in_channels):
        super().__init__()
        self.fc_cls = nn.Linear(in_channels, num_classes)

    def forward(self, x, num_segs):
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc_cls(x.view(-1, num_segs, x.shape[-1]).mean(1))


class ActionDataPreprocessor(nn.Module):
    """1.x only: mean/std as non-persistent buffers (facts §1), so no state-dict keys; inputs here come normalised."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(-1, 1, 1), persistent=False)


class Recognizer2D(nn.Module):
    def __init__(self, backbone, cls_head, data_preprocessor=None):
        super().__init__()
        if data_preprocessor is not None:
            self.data_preprocessor = data_preprocessor
        self.backbone = backbone
        self.cls_head = cls_head

    def forward(self, inputs):
        """inputs [N, M, 3, H, W] (normalised) → the head's scores: [N·views, K] (TSMHead) or [N, K] (TSNHead)."""
        n, m = inputs.shape[:2]
        return self.cls_head(self.backbone(inputs.reshape((n * m,) + inputs.shape[2:])), num_segs=m)

    def view_logits(self, clip):
        """clip [views, T, 3, H, W] → per-view logits [views, K] (each view its own sample)."""
        return self(clip)

    def predict(self, samples, average_clips):
        """What the test step returns for samples [N, views, T, 3, H, W] (each sample's M frames = its views): [N, K]."""
        n = samples.shape[0]
        scores = self(samples.reshape((n, -1) + samples.shape[3:]))
        return average_clip(scores.view(n, scores.shape[0] // n, -1), average_clips)


def average_clip(scores, average_clips):
    """scores [N, S, K] (S score rows per sample) → [N, K]: 'prob' = softmax per row then mean, 'score' = mean."""
    if average_clips == "prob":
        return F.softmax(scores, dim=2).mean(dim=1)
    if average_clips == "score":
        return scores.mean(dim=1)
    raise ValueError(f"average_clips {average_clips!r}")


MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]


def build_recognizer(spec, keyset="1.x"):
    """spec: dict(backbone='ResNetTSM'|'MobileNetV2TSM'|'ResNet', depth, num_segments, shift_div, shift_place,
    temporal_pool, non_local, non_local_cfg, head='TSMHead'|'TSNHead', num_classes). 1.x recognizers carry the
    (key-less) data preprocessor; 0.x ones do not."""
    kind = spec["backbone"]
    if kind == "ResNetTSM":
        cfg = spec.get("non_local_cfg")
        nl_cfg = None if not cfg else {"mode": cfg["mode"], "use_scale": cfg["use_scale"], "sub_sample": cfg["sub_sample"]}
        backbone = ResNetTSM(spec["depth"], spec["num_segments"], spec["shift_div"], spec["shift_place"],
                             spec.get("temporal_pool", False), spec.get("non_local") or NO_NON_LOCAL,
                             nl_cfg)
    elif kind == "MobileNetV2TSM":
        backbone = MobileNetV2TSM(spec["num_segments"], spec["shift_div"])
    elif kind == "ResNet":
        backbone = ResNet(spec["depth"])
    else:
        raise ValueError(kind)
    if spec["head"] == "TSMHead":
        head = TSMHead(spec["num_classes"], backbone.feat_dim, spec["num_segments"], spec.get("temporal_pool", False))
    else:
        head = TSNHead(spec["num_classes"], backbone.feat_dim)
    pre = ActionDataPreprocessor(MEAN, STD) if keyset == "1.x" else None
    return Recognizer2D(backbone, head, pre)


def non_local_blocks(model):
    return [m for m in model.modules() if isinstance(m, NonLocal3d)]


def without_non_local(model):
    """A copy whose non-local blocks are the identity (conv_out BN scale and shift zero, as mmcv initialises them)."""
    plain = copy.deepcopy(model)
    with torch.no_grad():
        for m in non_local_blocks(plain):
            m.conv_out.bn.weight.zero_()
            m.conv_out.bn.bias.zero_()
    return plain


NL_STAGES = ((0, 0, 0), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 0, 0))
# the facts' four reference builds (§2 "Key counts")
KEY_COUNT_BUILDS = {
    "r50tsm": dict(backbone="ResNetTSM", depth=50, num_segments=8, shift_div=8, shift_place="blockres", head="TSMHead",
                   num_classes=400),
    "r50tsm_nl": dict(backbone="ResNetTSM", depth=50, num_segments=8, shift_div=8, shift_place="blockres",
                      non_local=NL_STAGES, non_local_cfg=dict(mode="embedded_gaussian", use_scale=False, sub_sample=True),
                      head="TSMHead", num_classes=400),
    "mbv2tsm": dict(backbone="MobileNetV2TSM", num_segments=8, shift_div=8, head="TSMHead", num_classes=400),
    "r50tsn": dict(backbone="ResNet", depth=50, head="TSNHead", num_classes=400),
}


def main():
    if sys.argv[1:] != ["keys"]:
        sys.exit("usage: mma_models.py keys")
    for name, spec in KEY_COUNT_BUILDS.items():
        sd = build_recognizer(spec).state_dict()
        params = sum(v.numel() for k, v in sd.items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
        print(f"{name}: {len(sd)} keys, {params / 1e6:.3f}M params")


if __name__ == "__main__":
    main()
