"""Exports the zoo's mobilenet_v2 to ONNX from the same seeded weights (zoo.py
builds it from code; nothing is downloaded), for bench/web.sh. Checks the
ONNX program's eager twin against ExecuTorch's case-0 output first, so the
weights are the zoo's. Needs `onnx` and `onnxscript` in the venv.
Usage: /opt/et/bin/python bench/export_onnx.py ZOO OUT.onnx"""
import sys
from pathlib import Path

import numpy as np
import torch


def main(zoo, out):
    sys.path.insert(0, str(zoo))
    import zoo as zoo_py  # the zoo's own definitions: same seed, same weights

    model = zoo_py.tv("mobilenet_v2", 3)().eval()
    case = Path(zoo) / "mobilenet_v2" / "cases" / "0"
    x = torch.from_numpy(np.load(case / "in0.npy"))
    with torch.no_grad():
        got = model(x).numpy()
    want = np.load(case / "out0.npy")
    diff = float(np.abs(got - want).max())
    if diff > 1e-4:
        raise SystemExit(f"error: the rebuilt model is {diff} from ExecuTorch's case 0: not the zoo's weights")
    torch.onnx.export(model, (x,), out, input_names=["x"], output_names=["logits"], opset_version=18, dynamo=True,
                      external_data=False)
    print(f"{out}: {Path(out).stat().st_size} bytes; eager vs ExecuTorch case 0: {diff:.3g}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), sys.argv[2])
