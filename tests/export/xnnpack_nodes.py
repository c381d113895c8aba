"""XNNPACK node types that ExecuTorch 1.5.1's serializer writes but its
partitioner never hands it, enabled here so the XNNPACK runtime itself gives
the oracle:

    ZOO=tests/export/xnnpack_nodes.py /opt/et/bin/python ../shared/models/export.py tests/fixtures

- `ArgMaxPooling2d`: `MaxDimConfig` refuses a `max.dim` whose indices are
  used, though the `max.dim` visitor serializes exactly that case as argmax
  pooling over the whole H or W dim.
"""
# export.py puts its own folder, where zoo.py lives, on the import path.
import numpy as np  # noqa: F401
import torch
import torch.nn as nn
from executorch.backends.xnnpack.partition.config import node_configs
from zoo import simple, rand, tensor  # noqa: F401  (tensor is used by export.py)

node_configs.MaxDimConfig.check_constraints = lambda self, node, ep: True


class MaxDim(nn.Module):
    def forward(self, x):
        v, i = torch.max(x, dim=2, keepdim=True)
        w, j = torch.max(x, dim=3, keepdim=True)
        return v, i, w, j


MODELS = {
    "xnn_argmax_pool": simple(MaxDim, lambda k: [rand((2, 3, 4, 5), 620 + k)], xnnpack=True,
                              about="max.dim over H and W with indices: XNNPACK's ArgMaxPooling2d", atol=0.0, rtol=0.0),
}
