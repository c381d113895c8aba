"""Step 1 of 2 (ExecuTorch venv): the etch fixture's vww float model, seeded and
batch-norm calibrated exactly as tests/export/mlperf_tiny.py builds it, with each
batch norm folded into the conv before it, written as NHWC/HWIO numpy arrays.

    /opt/et/bin/python examples/tflm/model/dump_weights.py OUT.npz
"""
import sys
import os
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "export"))
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "models"))
import mlperf_tiny as mt  # noqa: E402

m = mt.make("vww").eval()


def fold(conv, bn):
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    w = conv.weight * s.reshape(-1, 1, 1, 1)
    b = bn.bias - bn.running_mean * s
    return w.detach().numpy(), b.detach().numpy()


arrays = {}
layers = [(m.stem[0], m.stem[1], "conv")]
for blk in m.features:
    layers.append((blk.depthwise, blk.depthwise_bn, "dw"))
    layers.append((blk.pointwise, blk.pointwise_bn, "conv"))
for i, (conv, bn, kind) in enumerate(layers):
    w, b = fold(conv, bn)
    if kind == "conv":  # OIHW -> HWIO
        w = w.transpose(2, 3, 1, 0)
    else:  # (C,1,H,W) -> (H,W,C,1)
        w = w.transpose(2, 3, 0, 1)
    arrays[f"l{i}_{kind}_w"] = w
    arrays[f"l{i}_{kind}_b"] = b
    arrays[f"l{i}_{kind}_stride"] = np.array(conv.stride[0])
arrays["fc_w"] = m.classifier.weight.detach().numpy().T
arrays["fc_b"] = m.classifier.bias.detach().numpy()
# The fixture's calibration inputs (PT2E saw these eight) and its case-0 input, NHWC.
arrays["calib"] = np.stack([mt.inputs("vww", 50 + k)[0][0].transpose(1, 2, 0) for k in range(8)])
arrays["case0"] = mt.inputs("vww", 0)[0][0].transpose(1, 2, 0)
with torch.no_grad():
    arrays["case0_float_out"] = m(torch.tensor(mt.inputs("vww", 0)[0])).numpy()[0]
np.savez(sys.argv[1], **arrays)
print("layers", len(layers), "float out case0", arrays["case0_float_out"])
