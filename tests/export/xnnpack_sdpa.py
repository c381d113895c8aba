"""XNNPACK's ScaledDotProductAttention node, which no ExecuTorch 1.5.1 runtime can run:

    ZOO=tests/export/xnnpack_sdpa.py /opt/et/bin/python ../shared/models/export.py tests/fixtures

ExecuTorch dropped the node in June 2025 (pytorch/executorch#11506, "deprecate sdpa",
after XNNPACK removed `xnn_define_scaled_dot_product_attention`): 1.5.1 has no
partitioner config and no serializer visitor for it, its XNNCompiler.cpp has no
define function (a delegate holding one fails to load with "Unhandled node type"),
and the XNNPACK it links has no such symbol. Only the schema table is left.

So the oracle is ExecuTorch's runtime on the portable program (`model.pte`, where
export decomposes the attention into mul, bmm, add and softmax), as for every
fixture, and `model.xnnpack.pte` is written by 1.5.1's own XNNPACK serializer
through a config and a visitor added here, shaped like the ones removed: the
attention stays whole, the node reads query, key, value and the 2-d additive mask,
and its scale is a `[C]` constant filled with the scale. `extra` records what the
unpatched partitioner makes of the same module (three delegates around the pieces
of the decomposed attention), that the runtime refuses the twin, and how far the
oracle is from a float64 numpy reference.
"""
# export.py puts its own folder, where zoo.py lives, on the import path.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from executorch.backends.xnnpack.operators.node_visitor import NodeVisitor, register_node_visitor
from executorch.backends.xnnpack.partition.config import ALL_PARTITIONER_CONFIGS
from executorch.backends.xnnpack.partition.config.xnnpack_config import ConfigPrecisionType
from executorch.backends.xnnpack.partition.config.generic_node_configs import GenericNodePartitionerConfig
from executorch.backends.xnnpack.serialization.xnnpack_graph_schema import XNNScaledDotProductAttention, XNode
from zoo import simple, rand, tensor  # noqa: F401  (tensor is used by export.py)

SDPA = torch.ops.aten.scaled_dot_product_attention.default


class SdpaConfig(GenericNodePartitionerConfig):
    """Keeps `scaled_dot_product_attention` whole (not decomposed) and delegates it
    when its mask is 2-d, the only mask the node takes."""
    target_name = "scaled_dot_product_attention.default"

    def check_constraints(self, node, ep):
        if not self.check_common_constraints(node, ep) or len(node.all_input_nodes) != 4:
            return False
        return node.all_input_nodes[3].meta["val"].dim() == 2

    def get_original_aten(self):
        return SDPA

    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]


@register_node_visitor
class SdpaVisitor(NodeVisitor):
    target = "aten.scaled_dot_product_attention.default"

    def define_node(self, node, xnn_graph, vals_to_ids, debug_handle):
        q, k, v, mask = node.args[:4]
        for t in (q, k, v, mask):
            self.define_tensor(t, xnn_graph, vals_to_ids)
        shape = [t.meta["val"].shape for t in (q, k, v)]
        if shape[0][-3] > 1 and shape[1][-3] == shape[2][-3] == 1:
            # One key head for many query heads: the node's multi-query form
            # drops the head dim of key and value (the same bytes).
            for t in (k, v):
                tv = xnn_graph.xvalues[vals_to_ids[t]].xvalue_union
                del tv.dims[-3]
                tv.num_dims -= 1
        channels = q.meta["val"].shape[-1]
        scale = node.kwargs.get("scale") or channels ** -0.5
        # The node scales the query per channel: a constant [C] of one value,
        # held by a get_attr node that define_tensor serializes as constant data.
        g = torch.fx.Graph()
        g._owning_module = torch.fx.GraphModule({}, g)
        setattr(g._owning_module, "sdpa_scale", torch.full((channels,), scale, dtype=torch.float32))
        s = g.create_node("get_attr", "sdpa_scale")
        s.meta["val"] = getattr(g._owning_module, "sdpa_scale")
        self.define_tensor(s, xnn_graph, vals_to_ids)
        self.define_tensor(node, xnn_graph, vals_to_ids)
        ids = dict(query_id=vals_to_ids[q], key_id=vals_to_ids[k], value_id=vals_to_ids[v],
                   scale_id=vals_to_ids[s], mask_id=vals_to_ids[mask], output_id=vals_to_ids[node])
        xnn_graph.xnodes.append(XNode(xnode_union=XNNScaledDotProductAttention(**ids, flags=0), debug_handle=debug_handle))


class Attention(nn.Module):
    """Query [B, H, T, C], key [B, H, U, C], value [B, H, U, D], mask [T, U]."""

    def __init__(self, scale=None, mask=None):
        super().__init__()
        self.scale = scale
        if mask is not None:
            self.register_buffer("mask", torch.as_tensor(mask))
        else:
            self.mask = None

    def forward(self, q, k, v, *mask):
        m = mask[0] if mask else self.mask
        return F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=self.scale)


def reference(q, k, v, mask, scale):
    """XNNPACK's order in float64: scale the query per channel, dot with the keys,
    add the mask, softmax over the keys, weigh the values."""
    q, k, v, mask = (np.asarray(a, dtype=np.float64) for a in (q, k, v, mask))
    s = (q * scale) @ np.swapaxes(k, -1, -2) + mask
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return (p / p.sum(axis=-1, keepdims=True)) @ v


# An additive causal mask over 5 queries and 7 keys (the first two keys are a prefix every query sees).
CAUSAL = np.where(np.arange(7)[None, :] <= np.arange(5)[:, None] + 2, 0.0, -np.inf).astype(np.float32)


def twin(spec, inputs, mask, scale):
    """spec with an `extra` that writes `model.xnnpack.pte` and checks it."""
    def extra(d):
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
        from executorch.exir import to_edge_transform_and_lower, EdgeCompileConfig
        from executorch.runtime import Runtime
        import os
        def lower(configs):
            edge = to_edge_transform_and_lower(spec["programs"](), partitioner=[XnnpackPartitioner(configs=configs)],
                                               compile_config=EdgeCompileConfig(_check_ir_validity=False))
            et = edge.to_executorch()
            plan = et.executorch_program.execution_plan[0]
            return et, plan, sorted({o.name for o in plan.operators})
        # What 1.5.1 does unpatched: the decomposed attention in pieces, not the node.
        _, plain, plain_ops = lower(ALL_PARTITIONER_CONFIGS)
        default = {"delegates": len(plain.delegates), "ops": plain_ops}
        et, plan, ops = lower(ALL_PARTITIONER_CONFIGS + [SdpaConfig])
        assert [dl.id for dl in plan.delegates] == ["XnnpackBackend"] and not ops, f"not one whole delegate: {ops}"
        path = os.path.join(d, "model.xnnpack.pte")
        with open(path, "wb") as f:
            f.write(et.buffer)
        try:
            Runtime.get().load_program(path).load_method("forward")
            refused = None
        except Exception as e:  # what 1.5.1's runtime says when it meets the node
            refused = f"{type(e).__name__}: {e}"
        assert refused is not None, "ExecuTorch 1.5.1 ran the ScaledDotProductAttention node"
        worst = 0.0
        for k in range(2):
            ins = inputs(k)
            out = np.load(os.path.join(d, "cases", str(k), "out0.npy"))
            m = ins[3] if mask is None else mask
            worst = max(worst, float(np.abs(reference(*ins[:3], m, scale or ins[0].shape[-1] ** -0.5) - out).max()))
        return {"xnnpack": {"plans": {"forward": {"ops": ops, "delegates": ["XnnpackBackend"]}}, "pte_bytes": os.path.getsize(path),
                            "runtime_refuses": refused, "default_partitioner": default},
                "max_abs_diff_oracle_vs_float64": worst}
    spec["extra"] = extra
    return spec


def with_mask(k):
    return [rand((2, 3, 5, 8), 700 + k), rand((2, 3, 7, 8), 710 + k), rand((2, 3, 7, 4), 720 + k), rand((5, 7), 730 + k)]


def causal(k):
    return [rand((1, 2, 5, 6), 740 + k, scale=2.0), rand((1, 2, 7, 6), 750 + k), rand((1, 2, 7, 6), 760 + k)]


def multi_query(k):
    return [rand((2, 4, 3, 5), 770 + k), rand((2, 1, 6, 5), 780 + k), rand((2, 1, 6, 3), 790 + k), rand((3, 6), 800 + k)]


MODELS = {
    "xnn_sdpa": twin(simple(lambda: Attention(scale=0.3), with_mask,
                            about="attention with a mask input and scale 0.3: XNNPACK's ScaledDotProductAttention", atol=1e-5, rtol=1e-5),
                     with_mask, None, 0.3),
    "xnn_sdpa_causal": twin(simple(lambda: Attention(mask=CAUSAL), causal,
                                   about="attention with a constant -inf causal mask and the default scale: XNNPACK's ScaledDotProductAttention", atol=1e-5, rtol=1e-5),
                            causal, CAUSAL, None),
    "xnn_sdpa_mqa": twin(simple(lambda: Attention(scale=0.5), multi_query,
                                about="attention of 4 query heads over one key and value head: XNNPACK's multi-query ScaledDotProductAttention", atol=1e-5, rtol=1e-5),
                         multi_query, None, 0.5),
}
