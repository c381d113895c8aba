"""onnxruntime on a zoo model, for bench/compare.sh's second peer.

    /opt/et/bin/python bench/ort.py MODEL_DIR [--zoo-py zoo.py] [--iters N] [--cache DIR]

The model is rebuilt from the zoo's own definition (same seeds, so the same weights;
nothing is downloaded), exported with torch.export and then to ONNX (opset 18,
dynamo), and cached as CACHE/<name>.onnx. Before timing, onnxruntime's output on
case 0 is held to ExecuTorch's (`cases/0/out0.npy`): a wrong export fails here.
One intra-op and one inter-op thread. Prints one JSON line, as bench_executorch.py does.
Needs onnx, onnxscript and onnxruntime in the venv.
"""
import argparse
import glob
import importlib.util
import json
import os
import sys
import time

import numpy as np


SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "models")


def load_zoo(path):
    """As export.py loads it; tests/export/zoo_extra.py imports the shared zoo.py."""
    spec = importlib.util.spec_from_file_location("zoo_defs", path)
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.environ.get("ZOO_DIR", SHARED))
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec.loader.exec_module(mod)
    return mod


def export(zoo_py, name, out):
    import torch
    zoo = load_zoo(zoo_py)
    ep = zoo.MODELS[name]["programs"]()["forward"]
    os.makedirs(os.path.dirname(out), exist_ok=True)
    torch.onnx.export(ep, f=out, opset_version=18, dynamo=True, external_data=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("--zoo-py", default=os.path.join(SHARED, "zoo.py"))
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--cache", default="target/bench-onnx")
    a = ap.parse_args()
    name = os.path.basename(os.path.normpath(a.model_dir))
    path = os.path.join(a.cache, name + ".onnx")
    if not os.path.exists(path):
        export(a.zoo_py, name, path)

    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    case = os.path.join(a.model_dir, "cases", "0")
    ins = [np.load(p) for p in sorted(glob.glob(os.path.join(case, "in*.npy")), key=lambda s: int(os.path.basename(s)[2:-4]))]
    feed = {i.name: x for i, x in zip(sess.get_inputs(), ins)}
    got = sess.run(None, feed)[0]
    want = np.load(os.path.join(case, "out0.npy"))
    meta = json.load(open(os.path.join(a.model_dir, "meta.json")))
    diff = float(np.abs(got.astype(np.float64) - want).max())
    # onnxruntime's kernels round differently from ExecuTorch's: ten times the zoo's tolerance.
    bound = 10 * (meta.get("atol", 1e-4) + meta.get("rtol", 1e-4) * float(np.abs(want).max()))
    if got.shape != want.shape or diff > bound:
        raise SystemExit(f"error: onnxruntime's case 0 is {diff:.3g} from ExecuTorch's (bound {bound:.3g}): {path}")
    for _ in range(a.warmup):
        sess.run(None, feed)
    ts = []
    for _ in range(a.iters):
        t = time.perf_counter()
        sess.run(None, feed)
        ts.append((time.perf_counter() - t) * 1e3)
    ts.sort()
    print(json.dumps({"onnx": path, "median_ms": ts[len(ts) // 2], "min_ms": ts[0], "iters": a.iters,
                      "max_abs_diff_vs_executorch": diff, "onnxruntime": ort.__version__}))


if __name__ == "__main__":
    main()
