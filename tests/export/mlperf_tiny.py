"""The four MLPerf Tiny models, from ExecuTorch's own example classes
(executorch/examples/models/mlperf_tiny), in f32 and in int8, exported with the
zoo's own exporter:

    ZOO=tests/export/mlperf_tiny.py /opt/et/bin/python ../shared/models/export.py tests/fixtures [NAME ...]

Weights are seeded and random, batch norms calibrated as the zoo's vision models
are; nothing is downloaded. int8 goes through ExecuTorch's XNNPACK PT2E quantizer
(per-channel weights, per-tensor activations), as the zoo's mobilenet_v2_int8:
the portable program keeps quantize/dequantize ops around f32 kernels, the
XNNPACK twin is the delegated graph. Each has both forms.

- ds_cnn: keyword spotting, 1x1x49x10 MFCC features, 12 classes
- vww: visual wake words, MobileNetV1 0.25 at 96x96, 2 classes
- resnet8: CIFAR-10, 1x3x32x32, 10 classes
- autoencoder: anomaly detection, FC 640 -> 8 -> 640 (the f32 one is 1.06 MB,
  over the fixture budget: exported here, not bundled)
"""
# export.py puts its own folder, where zoo.py lives, on the import path.
import torch
import zoo
from zoo import simple, rand, seeded, tensor  # noqa: F401  (tensor is used by export.py)

SHAPES = {
    "ds_cnn": (1, 1, 49, 10),
    "vww": (1, 3, 96, 96),
    "resnet8": (1, 3, 32, 32),
    "autoencoder": (1, 640),
}
SEEDS = {"ds_cnn": 21, "vww": 22, "resnet8": 23, "autoencoder": 24}
# int8 tolerances: twice ExecuTorch-XNNPACK's own largest deviation from the
# portable program's outputs, the zoo's rule for int8 (meta.json records it).
INT8_ATOL = {"ds_cnn": 0.008, "vww": 0.32, "resnet8": 0.025, "autoencoder": 0.03}


def make(name):
    from executorch.examples.models import mlperf_tiny as mt
    cls = {"ds_cnn": mt.DSCNNKWS, "vww": mt.MobileNetV1025, "resnet8": mt.ResNet8, "autoencoder": mt.DeepAutoEncoder}[name]
    seeded(SEEDS[name])
    m = cls()
    batch = (8,) + SHAPES[name][1:]
    return zoo.calibrate(m, SEEDS[name], batch)


def inputs(name, k):
    return [rand(SHAPES[name], 100 * SEEDS[name] + k)]


def quantized(name):
    """PT2E int8, calibrated on eight seeded inputs."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import XNNPACKQuantizer, get_symmetric_quantization_config
    from torchao.quantization.pt2e.quantize_pt2e import prepare_pt2e, convert_pt2e
    m = make(name).eval()
    g = torch.export.export(m, (tensor(inputs(name, 0)[0]),)).module()
    q = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    p = prepare_pt2e(g, q)
    for k in range(8):
        p(tensor(inputs(name, 50 + k)[0]))
    return convert_pt2e(p)


ABOUT = {
    "ds_cnn": "MLPerf Tiny keyword spotting DS-CNN (ExecuTorch's DSCNNKWS), seeded weights",
    "vww": "MLPerf Tiny visual wake words MobileNetV1 0.25 at 96x96 (ExecuTorch's MobileNetV1025), seeded weights",
    "resnet8": "MLPerf Tiny CIFAR-10 ResNet-8 (ExecuTorch's ResNet8), seeded weights",
    "autoencoder": "MLPerf Tiny anomaly detection FC autoencoder (ExecuTorch's DeepAutoEncoder), seeded weights",
}

MODELS = {}
for _n in SHAPES:
    MODELS[_n] = simple(lambda n=_n: make(n), lambda k, n=_n: inputs(n, k), n_cases=2, xnnpack=True,
                        about=ABOUT[_n], atol=1e-4, rtol=1e-4)
    MODELS[_n + "_int8"] = simple(lambda n=_n: quantized(n), lambda k, n=_n: inputs(n, k), n_cases=2, xnnpack=True,
                                  about=ABOUT[_n] + "; PT2E int8 from ExecuTorch's XNNPACK quantizer", atol=INT8_ATOL[_n], rtol=0.0)
