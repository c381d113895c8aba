"""torch.export archives (.pt2) of the zoo's f32 models, with expected outputs
from the exported program itself (`ep.module()(*inputs)`), in the zoo's cases layout.

    /opt/et/bin/python tests/export/pt2.py OUT [NAME ...]

For every model, OUT/<name>/ gets
- model.pt2: what `torch.export.export(model, args)` gives by default (high-level ATen);
- model.core.pt2: the same program after `ep.run_decompositions()` (core ATen);
- cases/<k>/in<i>.npy, out<j>.npy (from the default form) and meta.json, as in the zoo.
The zoo's definitions are imported from $ZOO_DIR (default ../shared/models).

torch writes every entry stored (uncompressed). A model whose spec says `deflate`
is re-zipped with deflate, entry for entry, so its archives stay committed
fixtures (< 1 MB): a slim mobilenet's graph alone is 0.8 MB of JSON.
"""
import json
import os
import sys
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("ZOO_DIR", os.path.join(HERE, "..", "..", "..", "shared", "models")))
sys.path.insert(0, HERE)
import zoo  # noqa: E402
from zoo import tensor  # noqa: E402

import pt2_extra  # noqa: E402

NAMES = ["mlp", "digits_cnn", "mobilenet_v2", "mobilenet_v3_small", "tiny_encoder", "tiny_llama", "lstm", "dynamic_mlp"]
MODELS = dict(zoo.MODELS, **pt2_extra.MODELS)
NAMES += list(pt2_extra.MODELS)


def run(ep, cases):
    """Every case in order on one instance: state (a KV cache) carries over."""
    m = ep.module()
    outs = []
    with torch.no_grad():
        for _, ins in cases:
            o = m(*[tensor(a) for a in ins])
            outs.append([t.detach().numpy() for t in zoo.as_list(o)])
    return outs


def deflate(path):
    """Rewrites the zip at `path` with every entry deflated, names and order kept."""
    with zipfile.ZipFile(path) as z:
        entries = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info, data in entries:
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def save(name, out):
    spec = MODELS[name]
    ep = spec["programs"]()["forward"]
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    torch.export.save(ep, os.path.join(d, "model.pt2"))
    core = ep.run_decompositions()
    torch.export.save(core, os.path.join(d, "model.core.pt2"))
    if spec.get("deflate"):
        deflate(os.path.join(d, "model.pt2"))
        deflate(os.path.join(d, "model.core.pt2"))
    cases = spec["cases"]()
    outs = run(ep, cases)
    # The decomposed form must agree with the default one before either is an oracle.
    for a, b in zip(outs, run(core, cases)):
        for x, y in zip(a, b):
            assert np.allclose(x, y, atol=1e-5, rtol=1e-4), name
    meta_cases = []
    for k, ((method, ins), os_) in enumerate(zip(cases, outs)):
        cd = os.path.join(d, "cases", str(k))
        os.makedirs(cd, exist_ok=True)
        for i, a in enumerate(ins):
            np.save(os.path.join(cd, f"in{i}.npy"), a)
        for j, a in enumerate(os_):
            np.save(os.path.join(cd, f"out{j}.npy"), a)
        meta_cases.append({
            "method": method,
            "inputs": [{"shape": list(a.shape), "dtype": str(a.dtype)} for a in ins],
            "outputs": [{"shape": list(a.shape), "dtype": str(a.dtype)} for a in os_],
        })
    ops = lambda p: sorted({str(n.target) for n in p.graph.nodes if n.op == "call_function"})
    meta = {
        "name": name,
        "about": spec.get("about", ""),
        "torch": torch.__version__,
        "oracle": "ep.module() of model.pt2",
        "sequential": bool(spec.get("sequential", False)),
        "atol": spec["atol"],
        "rtol": spec["rtol"],
        "ops": ops(ep),
        "core_ops": ops(core),
        "cases": meta_cases,
    }
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(name, os.path.getsize(os.path.join(d, "model.pt2")), "bytes")


if __name__ == "__main__":
    out = sys.argv[1]
    for name in sys.argv[2:] or NAMES:
        save(name, out)
