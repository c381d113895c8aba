"""Extra fixtures for etch, exported with the zoo's own exporter:

    ZOO=tests/export/zoo_extra.py /opt/et/bin/python ../shared/models/export.py OUT [NAME ...]

Each has a portable program and an XNNPACK twin, for ops the reference zoo lacks:
- vision_ops: average pooling (with and without padding), maximum/minimum, leaky
  relu, elu, constant padding, slicing and a three-way concatenation;
- math_ops: floor, ceil, log, sin, cos, prelu and sqrt;
- decoder: transposed convolutions and bilinear resizing;
- dq_mlp: dynamically quantized linear layers (etch compiles only its twin);
- dynamic_mlp, elementwise, lstm, codec: zoo models with the twins the zoo lacks;
- mobilenet_v3_small_int8: not bundled (2.8 MB); export it to check by hand;
- resnet18: torchvision's, seeded, calibrated, 224x224: not bundled (45 MB), for
  bench/compare.sh, which exports it into target/bench-zoo.
"""
# export.py puts its own folder, where zoo.py lives, on the import path.
import torch
import torch.nn as nn
import torch.nn.functional as F
import zoo
from zoo import simple, rand, seeded, tensor  # noqa: F401  (tensor is used by export.py)


class VisionOps(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.fc = nn.Linear(10 * 4 * 4, 6)

    def forward(self, x):
        a = self.c1(x)
        b = F.avg_pool2d(a, 3, stride=2, padding=1, count_include_pad=False)
        c = torch.maximum(b, b * -0.5)
        d = torch.minimum(c, torch.full_like(c, 1.0))
        e = F.elu(F.leaky_relu(d - 0.25, 0.1), alpha=0.5)
        g = F.pad(e, (1, 1, 1, 1), value=0.5)
        h = self.dw(g)[:, :, 1:9, 1:9]
        i = torch.cat([h[:, :4], h[:, 4:], h[:, :2]], dim=1)
        k = F.avg_pool2d(i, 2)
        return self.fc(k.flatten(1))


def vision_ops():
    seeded(7)
    return VisionOps()


class MathOps(nn.Module):
    def __init__(self):
        super().__init__()
        self.prelu = nn.PReLU(4, init=0.2)

    def forward(self, x):
        a = torch.floor(x) + torch.ceil(x * 0.5)
        b = torch.log(x.abs() + 1.0) * torch.sin(x) - torch.cos(x)
        c = self.prelu(x) + torch.sqrt(x * x + 1.0)
        return a, b + c


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.up1 = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)
        self.up2 = nn.ConvTranspose2d(4, 2, 2, stride=2)

    def forward(self, x):
        y = self.up2(torch.relu(self.up1(torch.relu(self.c(x)))))
        a = F.interpolate(y, scale_factor=2.0, mode="bilinear", align_corners=False)
        b = F.interpolate(y, size=(30, 36), mode="bilinear", align_corners=True)
        return a, b


def decoder():
    seeded(9)
    return Decoder()


def dq_mlp():
    """Dynamic int8 activations (a range per row, found at run time) and int8
    weights per channel: XNNPACK's recipe for linear layers."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import XNNPACKQuantizer, get_symmetric_quantization_config
    from torchao.quantization.pt2e.quantize_pt2e import prepare_pt2e, convert_pt2e
    seeded(11)
    m = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 8)).eval()
    example = (tensor(rand((4, 32), 1)),)
    quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True, is_dynamic=True))
    prepared = prepare_pt2e(torch.export.export(m, example).module(), quantizer)
    prepared(*example)
    return convert_pt2e(prepared)


def quantized_mobilenet_v3_small():
    """PT2E int8 like the zoo's mobilenet_v2_int8: hardswish and squeeze-excite stay f32
    between quantize/dequantize pairs."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import XNNPACKQuantizer, get_symmetric_quantization_config
    from torchao.quantization.pt2e.quantize_pt2e import prepare_pt2e, convert_pt2e
    m = zoo.tv("mobilenet_v3_small", 4)().eval()
    graph = torch.export.export(m, (torch.as_tensor(zoo.image(0)[0]),)).module()
    quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    prepared = prepare_pt2e(graph, quantizer)
    for k in range(4):
        prepared(torch.as_tensor(zoo.image(100 + k)[0]))
    return convert_pt2e(prepared)


def math_ops():
    seeded(8)
    return MathOps()


MODELS = {
    # Zoo models with the XNNPACK twins the zoo does not export.
    **{n: dict(zoo.MODELS[n], xnnpack=True) for n in ["dynamic_mlp", "elementwise", "lstm", "codec"]},
    "vision_ops": simple(vision_ops, lambda k: [rand((1, 3, 16, 16), 70 + k)], xnnpack=True,
                         about="avg pool, maximum/minimum, leaky relu, elu, pad, slice, 3-way cat", atol=1e-5),
    "decoder": simple(decoder, lambda k: [rand((1, 3, 12, 12), 90 + k)], xnnpack=True,
                      about="transposed convolutions, stride 2, with output padding; bilinear resizing", atol=1e-5),
    "mobilenet_v3_small_int8": simple(quantized_mobilenet_v3_small, lambda k: zoo.image(k, 60), n_cases=1, xnnpack=True,
                                      about="PT2E int8 mobilenet_v3_small", atol=0.25, rtol=0.0),
    "dq_mlp": simple(dq_mlp, lambda k: [rand((4, 32), 100 + k)], xnnpack=True, about="dynamic int8 linear layers", atol=0.05),
    "resnet18": simple(zoo.tv("resnet18", 13), lambda k: zoo.image(k, 40), n_cases=1, xnnpack=True,
                       about="torchvision resnet18, seeded, calibrated batch norms (bench only: 45 MB)", atol=3e-5),
    "math_ops": simple(math_ops, lambda k: [rand((1, 4, 6, 6), 80 + k, scale=3.0)], xnnpack=True,
                       about="floor, ceil, log, sin, cos, prelu, sqrt", atol=1e-5),
}
