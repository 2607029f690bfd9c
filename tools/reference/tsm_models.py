"""Reference TSN/TSM models written from shared/docs/upstream-tsm.md.md §2, for fixtures and parity checks only.

The module names are chosen so that state-dict keys match the released checkpoints:
TemporalShift keeps the wrapped layer as `.net`; TSN keeps the backbone as `base_model` and the new head as `new_fc`.
"""
import torch
import torch.nn as nn
import torchvision


def temporal_shift(x, n_segment, fold_div, online=False):
    """x: [N*T, C, H, W]. Channels [0, fold) take t+1, [fold, 2fold) take t-1 (zeros at the ends)."""
    nt, c, h, w = x.shape
    x = x.view(nt // n_segment, n_segment, c, h, w)
    fold = c // fold_div
    out = torch.zeros_like(x)
    if online:
        # one-directional: the first fold channels come from the previous frame
        out[:, 1:, :fold] = x[:, :-1, :fold]
        out[:, :, fold:] = x[:, :, fold:]
    else:
        out[:, :-1, :fold] = x[:, 1:, :fold]
        out[:, 1:, fold:2 * fold] = x[:, :-1, fold:2 * fold]
        out[:, :, 2 * fold:] = x[:, :, 2 * fold:]
    return out.view(nt, c, h, w)


class TemporalShift(nn.Module):
    def __init__(self, net, n_segment, n_div, online=False):
        super().__init__()
        self.net = net
        self.n_segment = n_segment
        self.fold_div = n_div
        self.online = online

    def forward(self, x):
        return self.net(temporal_shift(x, self.n_segment, self.fold_div, self.online))


def shift_resnet(net, n_segment, n_div, place, temporal_pool=False):
    stages = [net.layer1, net.layer2, net.layer3, net.layer4]
    n_round = 2 if len(list(net.layer3.children())) >= 23 else 1
    # with temporal pooling, layers 2-4 see T/2 segments (docs/upstream-tsm-family.md §2)
    segments = [n_segment, n_segment // 2, n_segment // 2, n_segment // 2] if temporal_pool else [n_segment] * 4
    for stage, n_segment in zip(stages, segments):
        blocks = list(stage.children())
        for i, b in enumerate(blocks):
            if place == "blockres":
                if i % n_round == 0:
                    b.conv1 = TemporalShift(b.conv1, n_segment, n_div)
            elif place == "block":
                stage[i] = TemporalShift(b, n_segment, n_div)
            else:
                raise ValueError(place)


class TemporalPool(nn.Module):
    """Max over time (kernel 3, stride 2, padding 1) of the input, then the wrapped layer: T frames become T/2."""

    def __init__(self, net, n_segment):
        super().__init__()
        self.net = net
        self.n_segment = n_segment

    def forward(self, x):
        nt, c, h, w = x.shape
        n = nt // self.n_segment
        x = x.view(n, self.n_segment, c, h, w).transpose(1, 2)
        x = torch.nn.functional.max_pool3d(x, kernel_size=(3, 1, 1), stride=(2, 1, 1), padding=(1, 0, 0))
        x = x.transpose(1, 2).contiguous().view(nt // 2, c, h, w)
        return self.net(x)


class NonLocalBlock3D(nn.Module):
    """Embedded Gaussian non-local block (docs/upstream-tsm-family.md §1): theta/phi/g 1x1x1 C->C/2, phi and g max-pooled (1,2,2),
    softmax over the pooled positions without scaling, W = conv C/2->C + BatchNorm3d, plus the input."""

    def __init__(self, channels):
        super().__init__()
        self.inter = max(1, channels // 2)
        pool = nn.MaxPool3d(kernel_size=(1, 2, 2))
        # registration order of the upstream block: g, W, theta, phi
        self.g = nn.Sequential(nn.Conv3d(channels, self.inter, 1), pool)
        self.W = nn.Sequential(nn.Conv3d(self.inter, channels, 1), nn.BatchNorm3d(channels))
        self.theta = nn.Conv3d(channels, self.inter, 1)
        self.phi = nn.Sequential(nn.Conv3d(channels, self.inter, 1), pool)

    def forward(self, x):
        n = x.size(0)
        g_x = self.g(x).view(n, self.inter, -1).permute(0, 2, 1)
        theta_x = self.theta(x).view(n, self.inter, -1).permute(0, 2, 1)
        phi_x = self.phi(x).view(n, self.inter, -1)
        f = torch.softmax(torch.matmul(theta_x, phi_x), dim=-1)
        y = torch.matmul(f, g_x).permute(0, 2, 1).contiguous().view(n, self.inter, *x.size()[2:])
        return self.W(y) + x


class NL3DWrapper(nn.Module):
    """A bottleneck followed by a non-local block over [N, C, T, H, W]."""

    def __init__(self, block, n_segment):
        super().__init__()
        self.block = block
        self.nl = NonLocalBlock3D(block.bn3.num_features)
        self.n_segment = n_segment

    def forward(self, x):
        x = self.block(x)
        nt, c, h, w = x.size()
        x = x.view(nt // self.n_segment, self.n_segment, c, h, w).transpose(1, 2)
        x = self.nl(x)
        return x.transpose(1, 2).contiguous().view(nt, c, h, w)


def make_non_local(net, n_segment):
    """layer2.{0,2} and layer3.{0,2,4} of a ResNet-50 get a non-local block after them."""
    l2, l3 = list(net.layer2.children()), list(net.layer3.children())
    net.layer2 = nn.Sequential(NL3DWrapper(l2[0], n_segment), l2[1], NL3DWrapper(l2[2], n_segment), l2[3])
    net.layer3 = nn.Sequential(NL3DWrapper(l3[0], n_segment), l3[1], NL3DWrapper(l3[2], n_segment), l3[3],
                               NL3DWrapper(l3[4], n_segment), l3[5])


def make_flow_input(net, arch, channels=10):
    """Flow: the first conv takes 5 stacked x/y pairs (docs/upstream-tsm-family.md §3); weights are randomised later anyway."""
    if arch.startswith("resnet"):
        old = net.conv1
        net.conv1 = nn.Conv2d(channels, old.out_channels, old.kernel_size, old.stride, old.padding, bias=False)
        net.conv1.weight.data.copy_(old.weight.data.mean(dim=1, keepdim=True).expand(-1, channels, -1, -1))
    else:
        old = net.features[0][0]
        net.features[0][0] = nn.Conv2d(channels, old.out_channels, old.kernel_size, old.stride, old.padding, bias=False)


# --- MobileNetV2, tonylins layout ---------------------------------------------------------------

def conv_bn(inp, oup, stride):
    return nn.Sequential(nn.Conv2d(inp, oup, 3, stride, 1, bias=False), nn.BatchNorm2d(oup), nn.ReLU6(inplace=True))


def conv_1x1_bn(inp, oup):
    return nn.Sequential(nn.Conv2d(inp, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        if expand_ratio == 1:
            self.conv = nn.Sequential(
                nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
                nn.ReLU6(inplace=True), nn.Conv2d(hidden, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup))
        else:
            self.conv = nn.Sequential(
                nn.Conv2d(inp, hidden, 1, 1, 0, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
                nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
                nn.ReLU6(inplace=True), nn.Conv2d(hidden, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup))

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1)]

    def __init__(self, n_class=1000, width_mult=1.0, dropout_classifier=False):
        super().__init__()
        input_channel = int(32 * width_mult)
        self.last_channel = int(1280 * width_mult) if width_mult > 1.0 else 1280
        features = [conv_bn(3, input_channel, 2)]
        for t, c, n, s in self.SETTINGS:
            output_channel = int(c * width_mult)
            for i in range(n):
                features.append(InvertedResidual(input_channel, output_channel, s if i == 0 else 1, t))
                input_channel = output_channel
        features.append(conv_1x1_bn(input_channel, self.last_channel))
        self.features = nn.Sequential(*features)
        linear = nn.Linear(self.last_channel, n_class)
        self.classifier = nn.Sequential(nn.Dropout(0.2), linear) if dropout_classifier else linear

    def forward(self, x):
        x = self.features(x)
        x = x.mean(3).mean(2)
        return self.classifier(x)


def shift_mobilenet(net, n_segment, n_div, layout):
    for i, m in enumerate(net.features):
        if not isinstance(m, InvertedResidual):
            continue
        if layout in ("official", "online") and len(m.conv) == 8 and m.use_res_connect:
            m.conv[0] = TemporalShift(m.conv[0], n_segment, n_div, online=layout == "online")
        elif layout == "embedded":
            m.conv = TemporalShift(m.conv, n_segment, n_div)


# --- TSN wrapper ----------------------------------------------------------------------------------

class TSN(nn.Module):
    """base_model on all N*T frames, a linear head, average consensus over T."""

    def __init__(self, num_class, num_segments, arch, shift_div=8, shift_place=None, mbv2_layout="official",
                 width_mult=1.0, dropout=0.8, temporal_pool=False, non_local=False, modality="RGB"):
        super().__init__()
        self.num_segments = num_segments
        self.temporal_pool = temporal_pool
        if arch.startswith("resnet"):
            self.base_model = getattr(torchvision.models, arch)()
            feature_dim = self.base_model.fc.in_features
            last = "fc"
            if shift_place:
                shift_resnet(self.base_model, num_segments, shift_div, shift_place, temporal_pool)
            if non_local:
                make_non_local(self.base_model, num_segments)
            if temporal_pool:
                self.base_model.layer2 = TemporalPool(self.base_model.layer2, num_segments)
        elif arch == "mobilenetv2":
            self.base_model = MobileNetV2(width_mult=width_mult)
            feature_dim = self.base_model.last_channel
            last = "classifier"
            if shift_place:
                shift_mobilenet(self.base_model, num_segments, shift_div, mbv2_layout)
        else:
            raise ValueError(arch)
        if modality == "Flow":
            make_flow_input(self.base_model, arch)
        if dropout > 0:
            setattr(self.base_model, last, nn.Dropout(dropout))
            self.new_fc = nn.Linear(feature_dim, num_class)
        else:
            setattr(self.base_model, last, nn.Linear(feature_dim, num_class))
            self.new_fc = None

    def forward(self, video):
        n, t = video.shape[:2]
        x = video.reshape((n * t,) + video.shape[2:])
        x = self.base_model(x)
        if self.new_fc is not None:
            x = self.new_fc(x)
        return x.view(n, t // 2 if self.temporal_pool else t, -1).mean(1)


def randomize(model, generator, calibration_input=None):
    """Random weights and random BatchNorm statistics, so that folding BN is really exercised.

    With a calibration input, BN statistics are first measured on it (as training would leave them, so activations
    stay O(1) through deep ResNets), then perturbed at random."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=generator) * (2.0 / fan_in) ** 0.5)
            else:
                p.copy_(torch.randn(p.shape, generator=generator) * 0.1 + (1.0 if name.endswith("weight") else 0.0))
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn(b.shape, generator=generator) * 0.1)
            elif name.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=generator) * 0.5 + 0.75)
            elif name.endswith("num_batches_tracked"):
                b.fill_(1000)
    if calibration_input is not None:
        bns = [m for m in model.modules() if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d))]
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
        model.train()
        with torch.no_grad():
            model(calibration_input)
        model.eval()
        with torch.no_grad():
            for m in bns:
                std = m.running_var.sqrt()
                m.running_mean.add_(torch.randn(m.running_mean.shape, generator=generator) * 0.1 * std)
                m.running_var.mul_(torch.rand(m.running_var.shape, generator=generator) * 0.4 + 0.8)
                m.momentum = 0.1
    return model
