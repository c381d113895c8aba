"""ExecuTorch's own llama export (`examples/models/llama/export_llama_lib.py` in
the executorch wheel), driven as its users drive it, on a tiny config:

    /opt/et/bin/python tests/export/llama_et.py tests/fixtures [FORM ...]

The params JSON is written here and the weights are random with a fixed seed,
saved as the checkpoint the exporter loads (without one it leaves the RMSNorm
weights and the rope tables uninitialised). Forms, each a fixture folder:
- llama_et_xnnpack: f32, KV cache, custom SDPA, linear layers in XNNPACK (`-X`);
- llama_et_portable: the same without XNNPACK;
- llama_et_8da4w_xnnpack: `-qmode 8da4w -G 32`: 4-bit weights in blocks of
  32 and int8 activations quantized per token, in XNNPACK;
- llama_et_8da4w_e4_xnnpack: the same with the embedding table in 4 bits
  (`-E 4,32`, ExecuTorch's phone recipe): `embedding_4bit`;
- llama_et_e8_xnnpack: f32 with an int8 table, a scale per row (`-E 8,0`): `embedding_byte`.
These are exported with `--disable_dynamic_shape`: one token per call. Cases are
ten calls in order on one method instance (positions 0..9), expected outputs
from ExecuTorch's runtime.
- llama_et_dyn_xnnpack, llama_et_dyn_portable: ExecuTorch's default export (no
  `--disable_dynamic_shape`): a prompt of 1 to max_seq_len - 1 tokens per call,
  the length a runtime size. Cases: a prefill of 5 tokens, eight decode calls
  of one token, a prompt of 3, one more token (positions 0..16), in order. With `--params P --max-seq N --out DIR` it exports
one form at another size (the benchmark's stories15M shape) without cases.
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np
import torch

TINY = {"dim": 64, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2, "vocab_size": 256,
        "multiple_of": 32, "norm_eps": 1e-5, "rope_theta": 10000.0}
MAX_SEQ = 32
FORMS = {
    "llama_et_xnnpack": ["-X"],
    "llama_et_portable": [],
    "llama_et_8da4w_xnnpack": ["-X", "-qmode", "8da4w", "-G", "32"],
    # ExecuTorch's phone recipe (config/llama_xnnpack.yaml): the table too, 4-bit in groups of 32.
    "llama_et_8da4w_e4_xnnpack": ["-X", "-qmode", "8da4w", "-G", "32", "-E", "4,32"],
    "llama_et_e8_xnnpack": ["-X", "-E", "8,0"],
    "llama_et_dyn_xnnpack": ["-X"],
    "llama_et_dyn_portable": [],
}
CALLS = 10
# Tokens per call of the dynamic forms.
DYN_CALLS = [5, 1, 1, 1, 1, 1, 1, 1, 1, 3, 1]


def checkpoint(params, max_seq, path, seed=0):
    """Random weights of the exporter's own Transformer, norms away from 1."""
    from executorch.examples.models.llama.llama_transformer import construct_transformer
    from executorch.examples.models.llama.model_args import ModelArgs

    torch.manual_seed(seed)
    model = construct_transformer(ModelArgs(max_seq_len=max_seq, max_context_len=max_seq, **params))
    weights = {}
    for name, p in model.named_parameters():
        p = p.detach().clone()
        if "norm" in name:
            p.uniform_(0.5, 1.5)
        weights[name] = p
    torch.save(weights, path)


def export(params, max_seq, flags, out_dir, name="model", dynamic=False):
    from executorch.examples.models.llama.export_llama_lib import build_args_parser, export_llama

    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "params.json")
        with open(p, "w") as f:
            json.dump(params, f)
        ck = os.path.join(tmp, "weights.pth")
        checkpoint(params, max_seq, ck)
        args = ["-p", p, "-c", ck, "-o", out_dir, "-n", name, "-kv", "--use_sdpa_with_kv_cache",
                "--max_seq_length", str(max_seq), "--max_context_length", str(max_seq)]
        if not dynamic:
            args.append("--disable_dynamic_shape")
        export_llama(build_args_parser().parse_args(args + flags))
    return os.path.join(out_dir, name + ".pte")


def executorch_version():
    import executorch.version

    return executorch.version.__version__


def cases(pte, out_dir, vocab, flags, about, lengths=None):
    from executorch.runtime import Runtime
    import executorch.extension.llm.custom_ops.custom_ops  # noqa: F401  (registers llama::*)
    import executorch.kernels.quantized  # noqa: F401  (embedding_4bit, embedding_byte)

    program = Runtime.get().load_program(open(pte, "rb").read())
    method = program.load_method("forward")
    rng = np.random.default_rng(5)
    dynamic = lengths is not None
    lengths = lengths or [1] * CALLS
    at = 0
    for k, n in enumerate(lengths):
        d = os.path.join(out_dir, "cases", str(k))
        os.makedirs(d, exist_ok=True)
        if dynamic:
            tokens = rng.integers(vocab, size=(1, n)).astype(np.int64)
        else:
            tokens = np.array([[rng.integers(vocab)]], dtype=np.int64)
        pos = np.array([at], dtype=np.int64)
        at += n
        (logits,) = method.execute([torch.from_numpy(tokens), torch.from_numpy(pos)])
        np.save(os.path.join(d, "in0.npy"), tokens)
        np.save(os.path.join(d, "in1.npy"), pos)
        np.save(os.path.join(d, "out0.npy"), logits.numpy())
    metadata = {n: program.load_method(n).execute([])[0] for n in program.method_names if n != "forward"}
    meta = {
        "name": os.path.basename(out_dir),
        "about": about,
        "export": "executorch/examples/models/llama/export_llama_lib.py " + " ".join(flags),
        "executorch": executorch_version(),
        "torch": torch.__version__,
        "sequential": True,
        # 8da4w rounds activations to int8 per token: a last-bit difference
        # moves a code, so its logits get a looser bound.
        "atol": 1e-3 if "8da4w" in flags else 1e-4,
        "rtol": 1e-4,
        "metadata": {k: (v if not isinstance(v, torch.Tensor) else v.tolist()) for k, v in sorted(metadata.items())},
        "cases": [{"method": "forward"} for _ in lengths],
    }
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root", nargs="?", default="tests/fixtures")
    ap.add_argument("forms", nargs="*")
    ap.add_argument("--params", help="a params JSON instead of the tiny config (no cases)")
    ap.add_argument("--max-seq", type=int, default=MAX_SEQ)
    ap.add_argument("--form", default="llama_et_xnnpack")
    ap.add_argument("--out", help="with --params: the .pte to write")
    a = ap.parse_args()
    if a.params:
        with open(a.params) as f:
            params = json.load(f)
        out = a.out or "model.pte"
        pte = export(params, a.max_seq, FORMS[a.form], os.path.dirname(os.path.abspath(out)), os.path.splitext(os.path.basename(out))[0])
        print(pte)
        return
    for form in a.forms or FORMS:
        d = os.path.join(a.root, form)
        dynamic = "_dyn_" in form
        pte = export(TINY, MAX_SEQ, FORMS[form], d, dynamic=dynamic)
        what = "a prompt of several tokens per call (the default dynamic shape)" if dynamic else "one token per call"
        cases(pte, d, TINY["vocab_size"], FORMS[form], f"ExecuTorch's llama export ({form}), tiny config, random seeded weights, {what}; calls run in order on one instance", DYN_CALLS if dynamic else None)
        print(form, os.path.getsize(pte), "bytes")


if __name__ == "__main__":
    sys.setrecursionlimit(4096)
    main()
