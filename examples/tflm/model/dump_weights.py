"""Step 1 of 2 (ExecuTorch venv): an etch MLPerf Tiny fixture's float model,
seeded and batch-norm calibrated exactly as tests/export/mlperf_tiny.py builds
it, with each batch norm folded into the conv or linear layer before it, its
layers in module order as NHWC/HWIO numpy arrays, and the fixture's eight
calibration inputs and case-0 input in NHWC.

    /opt/et/bin/python examples/tflm/model/dump_weights.py NAME OUT.npz
    (NAME: vww, ds_cnn, resnet8, autoencoder)
"""
import sys
import os
import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "export"))
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "models"))
import mlperf_tiny as mt  # noqa: E402

name, path = sys.argv[1], sys.argv[2]
m = mt.make(name).eval()
mods = [x for x in m.modules() if isinstance(x, (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d))]
arrays = {}
i = 0
for j, layer in enumerate(mods):
    if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
        continue
    w = layer.weight.detach()
    b = layer.bias.detach() if layer.bias is not None else torch.zeros(w.shape[0])
    nxt = mods[j + 1] if j + 1 < len(mods) else None
    if isinstance(nxt, (nn.BatchNorm1d, nn.BatchNorm2d)):
        s = nxt.weight / torch.sqrt(nxt.running_var + nxt.eps)
        w = w * s.reshape((-1,) + (1,) * (w.dim() - 1))
        b = (b - nxt.running_mean) * s + nxt.bias
    w, b = w.detach().numpy(), b.detach().numpy()
    if isinstance(layer, nn.Linear):
        kind, w = "fc", w.T
    elif layer.groups > 1:  # (C,1,H,W) -> (H,W,C,1)
        kind, w = "dw", w.transpose(2, 3, 0, 1)
    else:  # OIHW -> HWIO
        kind, w = "conv", w.transpose(2, 3, 1, 0)
    arrays[f"l{i}_w"], arrays[f"l{i}_b"] = w, b
    arrays[f"l{i}_kind"] = np.array(kind)
    arrays[f"l{i}_stride"] = np.array(layer.stride[0] if kind != "fc" else 1)
    i += 1


def nhwc(a):
    return a[0].transpose(1, 2, 0) if a.ndim == 4 else a[0]


arrays["calib"] = np.stack([nhwc(mt.inputs(name, 50 + k)[0]) for k in range(8)])
arrays["case0"] = nhwc(mt.inputs(name, 0)[0])
with torch.no_grad():
    arrays["case0_float_out"] = m(torch.tensor(mt.inputs(name, 0)[0])).numpy()[0]
np.savez(path, **arrays)
print(name, "layers", i, "torch float case0", arrays["case0_float_out"][:4])
