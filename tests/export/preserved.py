"""Conformance fixtures for portable ops that ExecuTorch's default decomposition
removes (stack, roll, tril, pixel_shuffle, the reflection pads, ...). They are
still in its portable library, and programs from other flows (a partitioner's
`ops_to_not_decompose`, `EdgeCompileConfig.preserve_ops`) call them. This runs
the zoo's own exporter with `preserve_ops` set, so each op stays one kernel
call, and ExecuTorch's runtime still gives the oracle:

    /opt/et/bin/python tests/export/preserved.py OUT [NAME ...]

EXPORT names the zoo's export.py (default: ../shared/models/export.py beside the repository).
"""
import importlib.util
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
aten = torch.ops.aten

# Kept whole instead of decomposed.
PRESERVE = [
    aten.stack.default, aten.t.default, aten.transpose.int, aten.narrow.default, aten.squeeze.dim,
    aten.split.Tensor, aten.unbind.int, aten.zeros.default, aten.ones.default, aten.fill.Scalar,
    aten.masked_fill.Scalar, aten.glu.default, aten.logit.default, aten.roll.default, aten.tril.default,
    aten.pixel_shuffle.default, aten.pixel_unshuffle.default, aten.select_scatter.default,
    aten.reflection_pad1d.default, aten.reflection_pad2d.default, aten.reflection_pad3d.default,
    aten.replication_pad1d.default, aten.replication_pad2d.default, aten.replication_pad3d.default,
    aten.floor_divide.default, aten.rsub.Scalar, aten.var.dim, aten.arange.default, aten.fill.Tensor, aten.detach.default,
]


class Shapes(nn.Module):
    def forward(self, x, m, v):
        return (
            torch.stack([x, x * 2.0], dim=1), torch.stack([x[0], x[1]], dim=-1), x[0].t(), x.transpose(0, 2),
            x.narrow(2, 1, 2), x.narrow(-1, -3, 3), x[:, :1].squeeze(1), *x.split(2, dim=2), *x.unbind(1),
            x + torch.zeros(2, 3, 5), x + torch.ones(3, 5), torch.zeros_like(x).fill_(1.5), x.masked_fill(m, -2.0),
            F.glu(x, dim=0), torch.logit(v, eps=0.1), torch.logit(v), torch.roll(x, 1, 0), torch.roll(x, (2, -1), (2, 1)),
            torch.tril(x), torch.tril(x, -1), torch.tril(x, 2), torch.select_scatter(x, x[:, 0] * 3.0, 1, 0),
        )


class Pixels(nn.Module):
    def forward(self, x, y):
        return (
            F.pixel_shuffle(x, 2), F.pixel_unshuffle(y, 2),
            aten.reflection_pad1d(y[0], [1, 2]),
            aten.reflection_pad2d(y, [1, 2, 2, 1]), aten.reflection_pad3d(y.unsqueeze(0), [1, 1, 2, 0, 1, 1]),
            aten.replication_pad1d(y[0], [3, 1]), aten.replication_pad2d(y, [2, 0, 1, 3]),
            aten.replication_pad3d(y.unsqueeze(0), [1, 2, 0, 1, 2, 1]),
        )


class Forms(nn.Module):
    """Scalar overloads called by name, and ops kept from their decompositions."""

    def forward(self, x, a):
        return (
            aten.add.Scalar(x, 2), aten.sub.Scalar(x, 1.5), aten.div.Scalar(x, 3.0), aten.div.Scalar_mode(x, 0.7, rounding_mode="floor"),
            aten.div.Scalar_mode(a, 3, rounding_mode="trunc"), torch.floor_divide(a, 2), torch.floor_divide(x, -0.6), 1 - x, 2.5 - a,
            torch.var(x, 1), torch.var(x, 0, unbiased=False), torch.arange(4.0), torch.arange(5), torch.zeros_like(x).fill_(x[0, 0]),
            x.detach() * 2.0,
        )


def load_export():
    path = os.environ.get("EXPORT") or os.path.join(HERE, "../../../shared/models/export.py")
    spec = importlib.util.spec_from_file_location("export", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def lower_preserving(programs, xnnpack=False):
    from executorch.exir import EdgeCompileConfig, to_edge_transform_and_lower
    assert not xnnpack, "the preserved fixtures have no twins"
    config = EdgeCompileConfig(_check_ir_validity=False, preserve_ops=PRESERVE)
    return to_edge_transform_and_lower(programs, compile_config=config).to_executorch()


def models():
    from zoo import simple, rand  # export.py puts the zoo's folder on the path

    def mask(k):
        return np.random.default_rng(600 + k).integers(0, 2, (2, 3, 5)).astype(bool)

    def unit(k):
        return np.random.default_rng(610 + k).uniform(0.02, 0.98, (2, 3, 5)).astype(np.float32)

    return {
        "ops_preserved_shapes": simple(Shapes, lambda k: [rand((2, 3, 5), 620 + k), mask(k), unit(k)],
                                       about="stack, t, transpose, narrow, squeeze.dim, split, unbind, zeros/ones, fill, "
                                             "masked_fill, glu, logit, roll, tril, select_scatter (preserved)", atol=1e-5),
        "ops_preserved_pixels": simple(Pixels, lambda k: [rand((1, 8, 3, 3), 630 + k), rand((1, 2, 4, 4), 640 + k)],
                                       about="pixel_shuffle/unshuffle, reflection and replication pads 1-3d (preserved)", atol=0.0, rtol=0.0),
        "ops_preserved_forms": simple(Forms, lambda k: [rand((2, 3), 650 + k), np.random.default_rng(660 + k).integers(-9, 9, (2, 3))],
                                      about="add/sub/div .Scalar, div.Scalar_mode, floor_divide, rsub, var.out, arange.out, "
                                            "fill.Tensor, detach_copy (preserved)", atol=1e-6),
    }


MODELS = {}

if __name__ == "__main__":
    export = load_export()
    export.lower = lower_preserving
    MODELS.update(models())
    out, names = sys.argv[1], sys.argv[2:] or list(MODELS)
    torch.set_num_threads(1)
    for n in names:
        with torch.no_grad():
            export.export_one(out, n, MODELS[n])
