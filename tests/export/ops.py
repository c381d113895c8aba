"""The op conformance suite: tiny programs, one family each, with ExecuTorch's
runtime outputs as the oracle. Exported with the zoo's own exporter:

    ZOO=tests/export/ops.py /opt/et/bin/python ../shared/models/export.py tests/fixtures [NAME ...]

Each fixture groups many small ops (one output per op and argument
combination) so that CI compiles one crate per family, not one per op.
`edge_*` fixtures are files at the edges of the format: no constants, no
extended header, outputs that are inputs, constants or each other, sizes found
at run time, random ops. Ops that the default decomposition removes come from
`tests/export/preserved.py`. Export into a scratch folder and copy the
fixtures over: the exporter does not delete the outputs of a case that shrank.
Then `ETCH_BLESS=1 cargo test -p etch-tests --test ops_md` regenerates docs/OPS.md.
"""
# export.py puts its own folder, where zoo.py lives, on the import path.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from zoo import simple, rand, seeded, tensor  # noqa: F401  (tensor is used by export.py)


def ints(shape, seed, lo, hi, dtype=np.int64):
    return np.random.default_rng(seed).integers(lo, hi, shape).astype(dtype)


# ---------------------------------------------------------------- edges of the format
class Add(nn.Module):
    """No parameters: ExecuTorch writes an empty constant segment and no extended header."""

    def forward(self, x, y):
        return x + y


class Outputs(nn.Module):
    """An input returned unchanged, one value returned twice, a constant and a view of an input."""

    def __init__(self):
        super().__init__()
        self.register_buffer("table", torch.arange(6, dtype=torch.float32).reshape(2, 3))

    def forward(self, x, lengths):
        y = x * 2.0
        return lengths, y, y, self.table, x.reshape(3, 2), x


class Counted(nn.Module):
    """Outputs whose size is found at run time: planned at their bound, returned cut."""

    def forward(self, x, m):
        return torch.masked_select(x, m), x[m], x[m[:, 0]], torch.masked_select(x, m[0])


class Dtypes(nn.Module):
    """i32, i8, u8 and bool through the common ops, with ExecuTorch's promotion."""

    def forward(self, a, b, c, m, x):
        return (
            a + b, a * c, b - 3, a // 3, a % 4, a.abs(), -b, a.clamp(-5, 5), torch.maximum(a, b), c.max(), b.sum(dim=1),
            a.cumsum(0), torch.where(m, a, b), torch.where(m, c, 7), torch.cat([a, b]), a > b, c == 3, m & (c > 2),
            a.float() * x, c.to(torch.float32) / 255.0, (x * 10).to(torch.int32), (x.abs() * 20).to(torch.uint8),
            a.argmax(dim=1), torch.flip(c, (1,)), a[:, 1:3], b.permute(1, 0), F.pad(c, (1, 1), value=9), c.to(torch.int64) * 300,
            b.to(torch.int8) * 100, torch.topk(a, 2).values, a.prod(dim=0), c // 2, a.sign(), b.bitwise_not(), a & 6,
        )


class Put(nn.Module):
    """index_put with one and two index tensors, leading slices, broadcast values, accumulation."""

    def forward(self, x, i, j, v):
        a = x.index_put((i,), v[0])
        b = x.index_put((i, j), v[:, 0, :1])
        c = x.index_put((i, j), torch.ones(1), accumulate=True)
        d = x.clone()
        d[:, i, j] = v[0, 0, 0]
        return a, b, c, d


class Random(nn.Module):
    """rand and randn: ExecuTorch seeds them from the system, so only outputs
    that do not depend on the values can be checked against its runtime."""

    def forward(self, x):
        u, n = torch.rand(2, 3), torch.randn(2, 3)
        return x + u * 0.0, (u >= 0.0) & (u <= 1.0), n * 0.0


# ---------------------------------------------------------------- reductions
class Reduce(nn.Module):
    def forward(self, x, i):
        return (
            x.sum(dim=1), x.sum(dim=(0, 2), keepdim=True), x.sum(dim=-1), x.sum(),
            i.sum(dim=1), i.sum(dim=-1, dtype=torch.float32),
            x.amax(dim=(1, 2)), x.amin(dim=-1, keepdim=True), i.amax(dim=0),
            *x.max(dim=1), *x.min(dim=-1, keepdim=True), *i.max(dim=2),
            x.argmax(dim=1), x.argmin(dim=-1, keepdim=True), x.argmax(), i.argmin(dim=0),
            x.prod(dim=2), x.prod(), i.prod(dim=1),
            x.var(dim=1), x.var(dim=(0, 2), keepdim=True, correction=0), x.std(dim=-1), x.var(),
            x.cumsum(dim=1), x.cumsum(dim=-1), i.cumsum(dim=0),
            x.mean(dim=(0, 2)), x.mean(dim=-2, keepdim=True),
            *torch.topk(x, 2, dim=-1), *torch.topk(x, 2, dim=1, largest=False),
            x.max(), x.min(),
        )


# ---------------------------------------------------------------- unary math
class Unary(nn.Module):
    def forward(self, x, p):
        # p is positive, in (0.05, 0.95): inside every domain below.
        return (
            torch.log1p(p), torch.expm1(x), torch.log2(p), torch.log10(p), torch.reciprocal(p),
            torch.trunc(x * 3), torch.round(x * 3), torch.sign(x), torch.erf(x), torch.tan(x),
            torch.asin(p), torch.acos(p), torch.atan(x), torch.sinh(x), torch.cosh(x),
            torch.asinh(x), torch.acosh(p + 1.0), torch.atanh(p), torch.atan2(x, p),
            torch.pow(2.0, x), torch.pow(x.abs() + 0.1, p), torch.logit(p), torch.isnan(torch.log(x)), torch.isinf(torch.exp(x * 60.0)),
            torch.special.expit(x), F.hardswish(x), F.hardsigmoid(x), F.silu(x), F.softplus(x), F.glu(x, dim=-1),
        )


# ---------------------------------------------------------------- integer and bitwise
class Bitwise(nn.Module):
    def forward(self, a, b, m, n):
        return (
            a & b, a | b, a ^ b, ~a, a & 6, a | 1, a ^ 3, m & n, m | n, m ^ n, ~m,
            torch.div(a, b, rounding_mode="trunc"), torch.div(a, b, rounding_mode="floor"),
            torch.div(a.float(), 3.0, rounding_mode="floor"), torch.div(a.float() * 0.7, b.float(), rounding_mode="trunc"),
            torch.div(a, 3, rounding_mode="floor"), torch.div(a, 3, rounding_mode="trunc"), a // b,
            torch.remainder(a, b), torch.fmod(a, b), torch.remainder(a.float(), 2.5), torch.fmod(a.float(), -2.5),
            a * b, a - b, a + b, a // 2, torch.pow(a, 2),
        )


# ---------------------------------------------------------------- 1-D convolution and pooling (audio)
class Conv1d(nn.Module):
    def __init__(self):
        super().__init__()
        self.plain = nn.Conv1d(4, 6, 3, padding=1)
        self.dilated = nn.Conv1d(4, 4, 3, dilation=2, stride=2, padding=2)
        self.grouped = nn.Conv1d(4, 8, 5, groups=2, bias=False)
        self.depthwise = nn.Conv1d(4, 4, 3, groups=4, padding=1)
        self.up = nn.ConvTranspose1d(4, 3, 4, stride=2, padding=1)
        self.up_grouped = nn.ConvTranspose1d(4, 4, 3, stride=3, groups=2, dilation=2, output_padding=1)

    def forward(self, x):
        return (
            self.plain(x), self.dilated(x), self.grouped(x), self.depthwise(x), self.up(x), self.up_grouped(x),
            F.max_pool1d(x, 3, stride=2, padding=1), F.avg_pool1d(x, 4, stride=2),
            F.avg_pool1d(x, 3, stride=1, padding=1, count_include_pad=False),
        )


def conv1d():
    seeded(21)
    return Conv1d()


class Norm(nn.Module):
    def __init__(self):
        super().__init__()
        self.gn = nn.GroupNorm(2, 6)
        self.gn_plain = nn.GroupNorm(3, 6, affine=False)
        self.inorm = nn.InstanceNorm2d(6)
        self.inorm_affine = nn.InstanceNorm1d(6, affine=True)
        with torch.no_grad():
            self.gn.weight.uniform_(0.5, 1.5)
            self.gn.bias.uniform_(-0.5, 0.5)

    def forward(self, x, y, g):
        return self.gn(x), self.gn_plain(y), F.interpolate(x, scale_factor=2.0, mode="nearest"), \
            F.interpolate(x, size=(3, 7), mode="nearest"), self.inorm(x), self.inorm_affine(y), \
            *[F.grid_sample(x, g, mode=m, padding_mode=p, align_corners=a)
              for m in ["bilinear", "nearest"] for p in ["zeros", "border", "reflection"] for a in [False, True]], \
            F.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True), \
            F.interpolate(x, size=(2, 3), mode="bilinear", antialias=True, align_corners=True), \
            F.interpolate(x, size=(5, 7), mode="bilinear", antialias=True)


def norm():
    seeded(22)
    return Norm()


# ---------------------------------------------------------------- indexing
class Index(nn.Module):
    def forward(self, x, i, j, mask):
        return (
            x[i], x[:, j], x[i[:2], j], torch.gather(x, 1, j.unsqueeze(0).expand(4, 2)), x.index_select(-1, j),
            torch.where(mask, x, 0.0), x.masked_fill(mask, -1.0),
            x.flip(0), x.flip((0, 1)), x.roll(1, 0), x.roll((2, -1), (1, 0)), x.tril(), x.tril(-1),
            x.t(), x.transpose(0, 1), x.repeat(2, 1), torch.stack([x, -x], dim=1), *x.unbind(0), x.diagonal(),
            x.narrow(1, 1, 3), F.pad(x.unsqueeze(0), (2, 1), mode="reflect"), F.pad(x.unsqueeze(0), (1, 2), mode="replicate"),
        )



# ---------------------------------------------------------------- writes into copies, adaptive pooling, misc
class Misc(nn.Module):
    def forward(self, x, i, lo, img):
        z = torch.zeros(3, 4, 5)
        return (
            F.adaptive_avg_pool2d(x, (2, 3)), F.adaptive_avg_pool2d(x, (4, 5)), x.unfold(2, 2, 1), x.unfold(-1, 3, 2),
            x.scatter(1, i, 2.0), x.scatter(1, i, x[:, :2] * 3.0), x.scatter_add(1, i, x[:, :2]),
            torch.slice_scatter(x, x[:, :, 1:3] * 2.0, 2, 1, 3), torch.slice_scatter(x, x[:, ::2] + 1.0, 1, 0, 4, 2),
            z.copy_(x[0]), torch.zeros(3, 4, 5, dtype=torch.int64).copy_(x * 3.0),
            torch.clamp(x, min=lo), torch.clamp(x, min=lo, max=lo + 0.5), torch.clamp(x, max=lo[0]),
            *torch.var_mean(x, dim=(0, 2)), *torch.var_mean(x, dim=-1, keepdim=True, correction=0),
            x.mean(dtype=torch.float32), F.interpolate(img, scale_factor=2.0, mode="nearest"),
        )


# ---------------------------------------------------------------- forms the other groups do not reach
class Cover(nn.Module):
    def forward(self, x, y, a, m):
        return (
            F.log_softmax(x, dim=-1), x + 2, x - 1.5, 3 - x, x / 4.0, torch.div(a, 2, rounding_mode="floor"), a // 3,
            torch.floor_divide(a, a.clamp(min=1)), x == y, x != y, x != 0.5, x >= y, x >= 0.1, x > y, x < y,
            m.any(), m.any(dim=(0, 1)), m | (a > 0).unsqueeze(-1), m ^ (a < 2).unsqueeze(-1), F.hardtanh(x, -0.5, 0.5), x.var(dim=1, unbiased=False),
            torch.arange(5), torch.as_strided(x, (2, 2), (1, 2), 1), x.clone() * 2, torch.cat([x, y, x, y], dim=1),
            F.elu(x), x.mean(dim=(-1, -2), keepdim=True), torch.logical_or(m, a.unsqueeze(-1)), torch.logical_xor(a, x[0, 0, :2, :3]),
        )


# ---------------------------------------------------------------- distances, masked_scatter
class Distance(nn.Module):
    def forward(self, a, b, c, m):
        return (
            torch.cdist(a, b), torch.cdist(a, b, p=1.0), torch.cdist(a, b, p=float("inf")), torch.cdist(a, b, p=0.0),
            torch.cdist(a, b, p=3.0), torch.cdist(c, b[0]), F.pdist(a[0]), F.pdist(a[1], p=1.5),
            a.masked_scatter(m, b.flatten()[:20] * 2.0), a.masked_scatter(m[0], c.flatten()),
        )


class ChannelsLast(nn.Module):
    """A CNN whose activations are channels-last (dim order [0, 2, 3, 1]; ExecuTorch
    refuses channels-last weights in its portable convolution),
    through the ops ExecuTorch's portable kernels run in that layout."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw = nn.Conv2d(8, 6, 1)
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        x = x.to(memory_format=torch.channels_last)
        y = F.hardtanh(self.stem(x), 0.0, 6.0)
        z = self.dw(y) + y
        g = torch.sigmoid(z) * z
        p = self.pw(F.max_pool2d(g, 2))
        pooled = F.adaptive_avg_pool2d(p, 1)
        # No cat: ExecuTorch 1.5.1's portable cat of channels-last tensors along dim 1 disagrees with eager PyTorch.
        return p, pooled, self.fc(torch.flatten(pooled, 1)), g.mean((2, 3)), F.relu(p)


class Fft(nn.Module):
    """One-sided real FFTs (complex values inside, real outputs) over the last
    dim, odd and even lengths, each normalization, a permute of
    the complex result, and torch.stft's magnitude as torchaudio's spectrograms take it."""

    def forward(self, x, f, w):
        a = torch.fft.rfft(x)
        b = torch.fft.rfft(x.transpose(1, 2), norm="ortho")  # ExecuTorch's kernel fails over a middle dim
        c = torch.fft.rfft(f, norm="forward")
        s = torch.stft(w, n_fft=16, hop_length=4, window=torch.hann_window(16), return_complex=True)
        return a.abs(), b.abs(), c.abs().pow(2), a.permute(0, 2, 1).abs(), s.abs(), (a.abs() * 2.0).reshape(2, -1)


def channels_last():
    seeded(23)
    return ChannelsLast()


# ---------------------------------------------------------------- forms found by the vision sweep (tests/export/sweep_vision.py)
class Vision(nn.Module):
    """ceil_mode pooling (googlenet, inception): XNNPACK gets it as extra padding at the bottom and right.
    Dilated convolutions whose taps reach past the whole input (DeepLab's ASPP at a low resolution)."""

    def __init__(self):
        super().__init__()
        self.aspp = nn.Conv2d(3, 4, 3, padding=12, dilation=12)
        self.aspp_wide = nn.Conv2d(3, 2, 3, padding=(6, 12), dilation=(6, 12), bias=False)

    def forward(self, x):
        return (
            self.aspp(x), self.aspp_wide(x),
            F.max_pool2d(x, 3, 2, ceil_mode=True), F.max_pool2d(x, 3, 2, padding=1, ceil_mode=True),
            F.max_pool2d(x, 2, 2, ceil_mode=True), F.max_pool2d(x, (3, 2), (2, 3), ceil_mode=True),
            F.avg_pool2d(x, 3, 2, ceil_mode=True), F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=False),
            F.avg_pool2d(x, 2, 2, ceil_mode=True, count_include_pad=False),
        )


def vision():
    seeded(24)
    return Vision()


class Winograd(nn.Module):
    """3×3 stride-1 convolutions large enough for etch's Winograd kernel (odd
    sizes: partial tiles at the bottom and right), after a small one that is not."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 24, 3, padding=1)
        self.conv1 = nn.Conv2d(24, 32, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 32, 3, padding=1, bias=False)
        self.conv3 = nn.Conv2d(32, 16, 3, padding=1)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-0.2, 0.2)
            self.bn.running_var.uniform_(0.5, 1.5)

    def forward(self, x):
        y = F.relu(self.bn(self.conv1(F.relu(self.stem(x)))))
        z = self.conv2(y)
        w = F.hardtanh(self.conv3(z), 0.0, 6.0)
        corners = lambda t: [t[:, :, :3, :4], t[:, :, -3:, -4:]]
        return z.mean((2, 3)), w.mean((2, 3)), *corners(z), *corners(w)


def winograd():
    seeded(25)
    return Winograd()


MODELS = {
    "edge_add": simple(Add, lambda k: [rand((2, 3), 300 + k), rand((2, 3), 310 + k)], about="no constants, no extended header", atol=0.0, rtol=0.0),
    "edge_outputs": simple(Outputs, lambda k: [rand((2, 3), 320 + k), ints((2,), 330 + k, 0, 9)],
                           about="pass-through, repeated, constant and view outputs", atol=0.0, rtol=0.0),
    "edge_counted": simple(Counted, lambda k: [rand((3, 4), 336 + k), ints((3, 4), 337 + k, 0, 2).astype(bool)],
                           about="masked_select and boolean-mask indexing: data-dependent sizes", atol=0.0, rtol=0.0),
    "ops_dtypes": simple(Dtypes, lambda k: [ints((2, 4), 700 + k, -30, 30, np.int32), ints((2, 4), 710 + k, -100, 100, np.int8),
                                            ints((2, 4), 720 + k, 0, 256, np.uint8), ints((2, 4), 730 + k, 0, 2).astype(bool),
                                            rand((2, 4), 740 + k)],
                         about="i32, i8, u8 and bool through binary, compare, where, cat, casts, reductions, layout ops", atol=1e-5),
    "ops_put": simple(Put, lambda k: [rand((3, 4, 5), 750 + k), ints((2,), 760 + k, -3, 3), ints((2,), 770 + k, -4, 4), rand((2, 4, 5), 780 + k)],
                      xnnpack=True, about="index_put with one and two index tensors, slices, broadcasting, accumulation", atol=1e-6),
    "edge_random": simple(Random, lambda k: [rand((2, 3), 335 + k)], about="rand and randn, through outputs that do not depend on their values", atol=0.0, rtol=0.0),
    "ops_reduce": simple(Reduce, lambda k: [rand((3, 4, 5), 340 + k), ints((3, 4, 5), 350 + k, -4, 5)],
                         xnnpack=True, about="sum, amax/amin, max/min.dim, argmax/argmin, prod, var/std, cumsum, mean, topk", atol=1e-5),
    "ops_unary": simple(Unary, lambda k: [rand((2, 3, 4), 360 + k), np.random.default_rng(370 + k).uniform(0.05, 0.95, (2, 3, 4)).astype(np.float32)],
                        xnnpack=True, about="unary math family", atol=1e-5),
    "ops_bitwise": simple(Bitwise, lambda k: [ints((2, 5), 380 + k, -20, 20), ints((2, 5), 390 + k, 1, 7),
                                              ints((2, 5), 400 + k, 0, 2).astype(bool), ints((1, 5), 410 + k, 0, 2).astype(bool)],
                          xnnpack=True, about="bitwise and/or/xor/not, division rounding modes, remainder, fmod on ints", atol=1e-6),
    "ops_conv1d": simple(conv1d, lambda k: [rand((1, 4, 16), 420 + k)], xnnpack=True,
                         about="1-D convolution (dilated, strided, grouped, transposed) and pooling", atol=1e-5),
    "ops_norm": simple(norm, lambda k: [rand((2, 6, 3, 4), 430 + k), rand((1, 6, 5), 440 + k), rand((2, 3, 5, 2), 445 + k, scale=0.8)],
                       xnnpack=True, about="group norm, instance norm, nearest upsampling, grid sampling, antialiased bilinear", atol=1e-5),
    "ops_index": simple(Index, lambda k: [rand((4, 5), 450 + k), ints((3,), 460 + k, -4, 4), ints((2,), 470 + k, 0, 5),
                                          ints((4, 5), 480 + k, 0, 2).astype(bool)],
                        xnnpack=True, about="index.Tensor, gather, flip, roll, tril, repeat, stack, unbind, pads", atol=0.0, rtol=0.0),
    "ops_misc": simple(Misc, lambda k: [rand((3, 4, 5), 490 + k), ints((3, 2, 5), 500 + k, 0, 4), rand((4, 1), 510 + k),
                                        ints((1, 2, 3, 3), 520 + k, 0, 256, np.uint8)],
                       xnnpack=True, about="adaptive avg pool, unfold, scatter, slice_scatter, copy, clamp.Tensor, var_mean, u8 nearest", atol=1e-5),
    "ops_cover": simple(Cover, lambda k: [rand((1, 3, 4, 4), 530 + k), rand((1, 3, 4, 4), 540 + k), ints((2, 3), 550 + k, -9, 9),
                                          ints((2, 3, 4), 560 + k, 0, 2).astype(bool)], xnnpack=True,
                        about="scalar forms, comparisons, logical ops, hardtanh, var, arange, as_strided, 4-way cat, elu, global mean", atol=1e-5),
    "ops_layout": simple(channels_last, lambda k: [rand((1, 3, 8, 8), 600 + k)], xnnpack=True,
                         about="channels-last activations: conv, depthwise, pools, as_strided, linear", atol=1e-5),
    "ops_distance": simple(Distance, lambda k: [rand((2, 4, 3), 570 + k), rand((2, 5, 3), 580 + k), rand((3, 2, 4, 3), 590 + k),
                                               ints((2, 4, 3), 595 + k, 0, 2).astype(bool)],
                           xnnpack=True, about="cdist (p 0, 1, 2, 3, inf; broadcast batch), pdist, masked_scatter", atol=1e-5),
    "ops_vision": simple(vision, lambda k: [rand((1, 3, 10, 11), 610 + k)], xnnpack=True,
                         about="forms the vision sweep found: ceil_mode pooling, dilation past the input", atol=1e-6),
    "ops_winograd": simple(winograd, lambda k: [rand((1, 3, 63, 57), 640 + k)], xnnpack=True,
                           about="3x3 stride-1 convolutions etch runs as Winograd F(2x2, 3x3), odd sizes", atol=1e-5),
    "ops_fft": simple(Fft, lambda k: [rand((2, 6, 8), 610 + k), rand((3, 9), 620 + k), rand((1, 64), 630 + k)],
                      about="_fft_r2c (one-sided, last dim; norms none, ortho, forward), complex abs and permute, stft", atol=1e-5),
}
