"""A sweep of third-party vision models through ExecuTorch's standard path, to
find where etch fails on programs it has never seen. Not a fixture script: CI
never runs it, and its outputs stay outside the repository.

    /opt/et/bin/python tests/export/sweep_vision.py /work/sweep/vision [NAME ...]
    target/release/etch verify /work/sweep/vision/NAME/model.pte /work/sweep/vision/NAME

Each model is built from code (`weights=None`, timm `pretrained=False`),
seeded, with batch norms calibrated as the zoo does, at a reduced resolution
where the architecture allows. The zoo's exporter (../shared/models/export.py,
or $EXPORT) writes model.pte, model.xnnpack.pte and the cases, whose outputs
come from ExecuTorch's runtime on model.pte. ExecuTorch's own examples
(executorch.examples.models) load hub weights, so the ones here are built
with the same constructors and seeded weights instead. docs/SWEEP.md holds
the results.
"""
import importlib.util
import os
import sys

import numpy as np
import torch
import torch.nn as nn

# The shared zoo sits beside the checkout (../shared/models), as the README's test command has it.
EXPORT = os.environ.get("EXPORT", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "models", "export.py"))
sys.path.insert(0, os.path.dirname(EXPORT))
from zoo import calibrate, rand, seeded, simple, tensor  # noqa: E402,F401  (tensor is used by export.py)


def image(size, seed=10, frames=None):
    shape = (1, 3, size, size) if frames is None else (1, 3, frames, size, size)
    return lambda k: [rand(shape, seed + k)]


def built(make, seed, shape):
    def go():
        seeded(seed)
        return calibrate(make(), seed, shape)
    return go


def tv(name, seed, size, frames=None, **kw):
    def make():
        import torchvision
        return getattr(torchvision.models, name)(weights=None, **kw)
    shape = (4, 3, size, size) if frames is None else (2, 3, frames, size, size)
    return built(make, seed, shape)


def tvv(name, seed, size, frames, **kw):
    def make():
        import torchvision
        return getattr(torchvision.models.video, name)(weights=None, **kw)
    return built(make, seed, (2, 3, frames, size, size))


class Out(nn.Module):
    """Segmentation models return a dict; export and the oracle want a tensor."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)["out"]


def seg(name, seed, size, **kw):
    def make():
        import torchvision
        return Out(getattr(torchvision.models.segmentation, name)(weights=None, weights_backbone=None, **kw))
    return built(make, seed, (2, 3, size, size))


def small_vit():
    from torchvision.models.vision_transformer import VisionTransformer
    m = VisionTransformer(image_size=64, patch_size=16, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128, num_classes=10)
    nn.init.normal_(m.heads.head.weight, std=0.5)  # torchvision zeroes the head: every output would be 0
    return m


def small_maxvit():
    from torchvision.models.maxvit import MaxVit
    return MaxVit(input_size=(64, 64), stem_channels=16, partition_size=4, block_channels=[16, 32], block_layers=[1, 1],
                  head_dim=8, stochastic_depth_prob=0.0, num_classes=10)


def timm_model(name, seed, size, **kw):
    def make():
        import timm
        return timm.create_model(name, pretrained=False, **kw)
    return built(make, seed, (4, 3, size, size))


def convmixer():
    from timm.models.convmixer import ConvMixer
    return ConvMixer(dim=256, depth=4, kernel_size=9, patch_size=7, num_classes=10)


def et_toy(cls):
    def make():
        from executorch.examples.models.toy_model import model as toy
        return getattr(toy, cls)().get_eager_model()
    return make


def et_toy_inputs(cls):
    def inputs(k):
        from executorch.examples.models.toy_model import model as toy
        seeded(1000 + k)
        return [a.numpy() for a in getattr(toy, cls)().get_example_inputs()]
    return inputs


def m(make, inputs, n_cases=1, atol=1e-4, rtol=1e-4, about=""):
    return simple(make, inputs, n_cases=n_cases, xnnpack=True, atol=atol, rtol=rtol, about=about)


MODELS = {
    # ExecuTorch's toy examples (no weights to download)
    **{f"et_{c.lower()}": m(et_toy(c), et_toy_inputs(c), about=f"executorch.examples toy_model.{c}")
       for c in ["MulModule", "LinearModule", "AddModule", "AddMulModule", "SoftmaxModule", "Conv1dModule"]},
    # torchvision classification
    "squeezenet1_1": m(tv("squeezenet1_1", 1, 64), image(64)),
    "shufflenet_v2_x0_5": m(tv("shufflenet_v2_x0_5", 2, 64), image(64)),
    "mnasnet0_5": m(tv("mnasnet0_5", 3, 64), image(64)),
    "mobilenet_v3_large": m(tv("mobilenet_v3_large", 4, 64), image(64), about="also ExecuTorch's mv3 example's family"),
    "regnet_x_400mf": m(tv("regnet_x_400mf", 5, 64), image(64)),
    "regnet_y_400mf": m(tv("regnet_y_400mf", 6, 64), image(64)),
    "efficientnet_b0": m(tv("efficientnet_b0", 7, 64), image(64)),
    "googlenet": m(tv("googlenet", 8, 64, aux_logits=False, init_weights=True), image(64)),
    "densenet121": m(tv("densenet121", 9, 64), image(64)),
    "resnet50": m(tv("resnet50", 10, 64), image(64), about="also ExecuTorch's resnet50 example"),
    "efficientnet_v2_s": m(tv("efficientnet_v2_s", 11, 64), image(64)),
    "convnext_tiny": m(tv("convnext_tiny", 12, 64), image(64)),
    "inception_v3": m(tv("inception_v3", 13, 96, aux_logits=False, init_weights=True), image(96), about="ExecuTorch's ic3 example"),
    "vit_small": m(built(small_vit, 14, (2, 3, 64, 64)), image(64), about="torchvision VisionTransformer, 2 layers, 64 wide"),
    "swin_t": m(tv("swin_t", 15, 64), image(64)),
    "swin_v2_t": m(tv("swin_v2_t", 16, 64), image(64)),
    "maxvit_small": m(built(small_maxvit, 17, (2, 3, 64, 64)), image(64), about="torchvision MaxVit, 2 stages"),
    "r3d_18": m(tvv("r3d_18", 18, 32, 4), image(32, frames=4)),
    "mc3_18": m(tvv("mc3_18", 19, 32, 4), image(32, frames=4)),
    "lraspp_mobilenet_v3_large": m(seg("lraspp_mobilenet_v3_large", 20, 64), image(64)),
    "deeplabv3_mobilenet_v3_large": m(seg("deeplabv3_mobilenet_v3_large", 21, 64, aux_loss=False), image(64)),
    "fcn_resnet50": m(seg("fcn_resnet50", 22, 64, aux_loss=False), image(64)),
    # timm
    "timm_repvgg_a0": m(timm_model("repvgg_a0", 30, 64), image(64)),
    "timm_ghostnet_100": m(timm_model("ghostnet_100", 31, 64), image(64)),
    "timm_convmixer": m(built(convmixer, 32, (4, 3, 64, 64)), image(64), about="timm ConvMixer, 256 wide, 4 blocks, 9x9 kernels"),
    "timm_poolformer_s12": m(timm_model("poolformer_s12", 33, 64), image(64)),
    "timm_deit_tiny": m(timm_model("deit_tiny_patch16_224", 34, 64, img_size=64), image(64), about="ExecuTorch's deit_tiny example"),
    "timm_mobilevit_xxs": m(timm_model("mobilevit_xxs", 35, 64), image(64)),
    "timm_efficientvit_b0": m(timm_model("efficientvit_b0", 36, 64), image(64)),
    "timm_levit_128s": m(timm_model("levit_128s", 37, 64, img_size=64), image(64)),
    "timm_edgenext_xx_small": m(timm_model("edgenext_xx_small", 38, 64), image(64)),
    "timm_fastvit_t8": m(timm_model("fastvit_t8", 39, 64), image(64)),
    "timm_inception_v4": m(timm_model("inception_v4", 40, 96), image(96), about="ExecuTorch's ic4 example"),
}


def zoo_tolerance(path):
    """The zoo's rule: atol about 10x the deviation of ExecuTorch's own XNNPACK
    backend from its portable kernels (deep nets drift by float rounding)."""
    import json
    import math
    with open(path) as f:
        meta = json.load(f)
    dev = meta.get("xnnpack", {}).get("max_abs_diff_vs_portable", 0.0)
    atol = max(1e-5, 10 * dev)
    e = math.floor(math.log10(atol))
    meta["atol"] = float(f"{math.ceil(atol / 10 ** e * 10) / 10 * 10 ** e:.2g}")  # two digits, rounded up
    meta["rtol"] = 1e-4
    with open(path, "w") as f:
        json.dump(meta, f, indent=1)


def main():
    spec = importlib.util.spec_from_file_location("export", EXPORT)
    export = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(export)
    export.bench = lambda *a, **k: None  # the sweep wants outputs, not ExecuTorch's timings
    out = sys.argv[1]
    if sys.argv[2:3] == ["--tolerance"]:  # re-apply the rule to exported models
        for n in sys.argv[3:]:
            zoo_tolerance(os.path.join(out, n, "meta.json"))
        return
    names = sys.argv[2:] or list(MODELS)
    torch.set_num_threads(1)
    for n in names:
        try:
            with torch.no_grad():
                export.export_one(out, n, MODELS[n])
            zoo_tolerance(os.path.join(out, n, "meta.json"))
        except Exception as e:  # one model's failure must not hide the others
            import traceback
            traceback.print_exc()
            print(f"{n}: FAILED {type(e).__name__}: {e}", flush=True)


if __name__ == "__main__":
    main()
