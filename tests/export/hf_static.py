"""Hugging Face's path to ExecuTorch, as Optimum-ExecuTorch drives it:
`transformers.integrations.executorch.TorchExportableModuleForDecoderOnlyLM`
with a `StaticCache`, on tiny configs built here with seeded weights:

    /opt/et/bin/python tests/export/hf_static.py tests/fixtures [NAME ...]

- hf_llama: LlamaConfig with grouped-query attention (4 heads, 2 KV heads);
- hf_qwen2: Qwen2Config (biases on q/k/v), also grouped-query.
Each folder holds the portable program (model.pte) and its XNNPACK twin
(model.xnnpack.pte); cases are ten decode calls in order on one instance
(token ids and cache positions 0..9), expected outputs from ExecuTorch's
runtime on the portable program.
"""
import json
import os
import sys

import numpy as np
import torch

MAX_CACHE = 32
CALLS = 10


def tiny(name):
    import transformers

    common = dict(vocab_size=128, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=MAX_CACHE,
                  rms_norm_eps=1e-5, tie_word_embeddings=False)
    if name == "hf_llama":
        config = transformers.LlamaConfig(**common)
        cls = transformers.LlamaForCausalLM
    elif name == "hf_qwen2":
        config = transformers.Qwen2Config(**common)
        cls = transformers.Qwen2ForCausalLM
    else:
        raise SystemExit(f"unknown model {name}")
    torch.manual_seed(3)
    model = cls(config).eval()
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "norm" in n:
                p.uniform_(0.5, 1.5)
            elif p.dim() == 1:
                p.normal_(0.0, 0.1)  # qwen2's q/k/v biases
            else:
                p.normal_(0.0, 0.08)
    model.requires_grad_(False)
    model.generation_config.cache_implementation = "static"
    model.generation_config.cache_config = {"batch_size": 1, "max_cache_len": MAX_CACHE}
    return model


def export(model):
    from transformers.integrations.executorch import TorchExportableModuleForDecoderOnlyLM

    wrapper = TorchExportableModuleForDecoderOnlyLM(model, batch_size=1, max_cache_len=MAX_CACHE)
    ids = torch.tensor([[1]], dtype=torch.long)
    pos = torch.tensor([0], dtype=torch.long)
    # strict: a non-strict trace captures the cache tensors twice (as buffers and as
    # constants of the attention), and lowering then fails on the aliasing.
    return wrapper.export(input_ids=ids, cache_position=pos, strict=True)


def lower(ep, xnnpack):
    from executorch.exir import to_edge_transform_and_lower

    partitioner = []
    if xnnpack:
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

        partitioner = [XnnpackPartitioner()]
    return to_edge_transform_and_lower(ep, partitioner=partitioner).to_executorch().buffer


def cases(pte, out_dir, vocab, about):
    from executorch.runtime import Runtime

    method = Runtime.get().load_program(pte).load_method("forward")
    rng = np.random.default_rng(11)
    for k in range(CALLS):
        d = os.path.join(out_dir, "cases", str(k))
        os.makedirs(d, exist_ok=True)
        ids = np.array([[rng.integers(vocab)]], dtype=np.int64)
        pos = np.array([k], dtype=np.int64)
        (logits,) = method.execute([torch.from_numpy(ids), torch.from_numpy(pos)])
        np.save(os.path.join(d, "in0.npy"), ids)
        np.save(os.path.join(d, "in1.npy"), pos)
        np.save(os.path.join(d, "out0.npy"), logits.numpy())
    import executorch.version
    import transformers

    meta = {
        "name": os.path.basename(out_dir),
        "about": about,
        "export": "transformers.integrations.executorch.TorchExportableModuleForDecoderOnlyLM (StaticCache)",
        "executorch": executorch.version.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "sequential": True,
        "atol": 1e-4,
        "rtol": 1e-4,
        "cases": [{"method": "forward"} for _ in range(CALLS)],
    }
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures"
    for name in sys.argv[2:] or ["hf_llama", "hf_qwen2"]:
        d = os.path.join(root, name)
        os.makedirs(d, exist_ok=True)
        model = tiny(name)
        ep = export(model)
        portable = lower(ep, False)
        with open(os.path.join(d, "model.pte"), "wb") as f:
            f.write(portable)
        with open(os.path.join(d, "model.xnnpack.pte"), "wb") as f:
            f.write(lower(export(model), True))
        cases(portable, d, model.config.vocab_size, f"{name}: Hugging Face static-cache decoder, tiny config, seeded weights; calls run in order on one instance")
        print(name, len(portable), "bytes")


if __name__ == "__main__":
    with torch.no_grad():
        main()
