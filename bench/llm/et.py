"""ExecuTorch's side of bench/llm.sh: prefill then decode, one token per call,
on a fresh method each round (its KV cache starts empty), one thread.

    python bench/llm/et.py MODEL.pte --prefill 64 --decode 64 --rounds 5
Prints one JSON line: prefill_ms (all prefill calls), decode_ms (per token),
decode_cpu_ms (this thread's CPU time per token), medians over rounds, and decode_tok_s."""
import argparse
import json
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pte")
    ap.add_argument("--prefill", type=int, default=64)
    ap.add_argument("--decode", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    from executorch.extension.pybindings import portable_lib
    from executorch.runtime import Runtime
    import executorch.extension.llm.custom_ops.custom_ops  # noqa: F401
    import executorch.kernels.quantized  # noqa: F401

    portable_lib._unsafe_reset_threadpool(1)
    program = Runtime.get().load_program(a.pte)
    tok = lambda i: torch.tensor([[(i * 7919 + 13) % 32000]], dtype=torch.long)
    pre, dec, cpu = [], [], []
    for r in range(a.rounds + 1):
        m = program.load_method("forward")
        t = time.perf_counter()
        for p in range(a.prefill):
            m.execute([tok(p), torch.tensor([p], dtype=torch.long)])
        t1, c1 = time.perf_counter(), time.thread_time()
        for p in range(a.prefill, a.prefill + a.decode):
            m.execute([tok(p), torch.tensor([p], dtype=torch.long)])
        t2, c2 = time.perf_counter(), time.thread_time()
        if r:  # the first round warms up
            pre.append((t1 - t) * 1e3)
            dec.append((t2 - t1) * 1e3 / a.decode)
            cpu.append((c2 - c1) * 1e3 / a.decode)
    med = lambda v: sorted(v)[len(v) // 2]
    print(json.dumps({"prefill_ms": med(pre), "decode_ms": med(dec), "decode_tok_s": 1e3 / med(dec), "decode_cpu_ms": med(cpu)}))


if __name__ == "__main__":
    main()
