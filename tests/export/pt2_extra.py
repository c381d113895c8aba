"""Models from outside the zoo for tests/export/pt2.py, built from code with seeded weights.

- resnet18: torchvision's, seeded, batch norms calibrated on seeded batches
  (45 MB: made on demand for `ETCH_PT2_ZOO`, never committed);
- resnet18_slim, mobilenet_v2_slim, mobilenet_v3_small_slim: the same torchvision
  classes at a fraction of their widths, so each archive is a committed fixture
  (< 1 MB) with the graph of the full model;
- hf_block: a Hugging Face-style (BERT) encoder layer, written from code, no download;
- unsupported: ops etch does not translate (unfold, twice; cummax), for the
  golden test of errors that name the op and the Python line;
- refused: an op etch translates with an argument it refuses (`lstm` with two layers).
"""
import numpy as np
import torch
import torch.nn as nn

from zoo import simple, rand, seeded


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        seeded(11)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        a = x.unfold(1, 2, 2)
        b = torch.cummax(x, dim=1).values
        c = x.unfold(1, 4, 4)
        return self.fc(b) + a.sum() + c.sum()


class Refused(nn.Module):
    def __init__(self):
        super().__init__()
        seeded(12)
        self.lstm = nn.LSTM(8, 8, num_layers=2, batch_first=True)

    def forward(self, x):
        out, _ = self.lstm(x)
        return out


def resnet18():
    import torchvision
    seeded(13)
    m = torchvision.models.resnet18(weights=None, num_classes=100)
    # Running statistics from a few seeded batches, so batch norms are not the identity.
    m.train()
    with torch.no_grad():
        for k in range(3):
            m(torch.as_tensor(rand((4, 3, 112, 112), 200 + k)))
    return m


def calibrated(m, shape, seed):
    """Running statistics from a few seeded batches, so batch norms are not the identity."""
    m.train()
    with torch.no_grad():
        for k in range(3):
            m(torch.as_tensor(rand(shape, seed + k)))
    return m.eval()


def resnet18_slim():
    """torchvision's ResNet with resnet18's blocks ([2, 2, 2, 2] BasicBlocks) at
    widths 4-8-16-32 instead of 64-128-256-512: its own `_make_layer` and forward."""
    import torchvision
    from torchvision.models.resnet import BasicBlock
    seeded(15)
    m = torchvision.models.resnet.ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10)
    m.inplanes = 4
    m.conv1 = nn.Conv2d(3, 4, kernel_size=7, stride=2, padding=3, bias=False)
    m.bn1 = nn.BatchNorm2d(4)
    m.layer1 = m._make_layer(BasicBlock, 4, 2)
    m.layer2 = m._make_layer(BasicBlock, 8, 2, stride=2)
    m.layer3 = m._make_layer(BasicBlock, 16, 2, stride=2)
    m.layer4 = m._make_layer(BasicBlock, 32, 2, stride=2)
    m.fc = nn.Linear(32, 10)
    return calibrated(m, (4, 3, 64, 64), 210)


def mobilenet_v2_slim():
    """torchvision's mobilenet_v2 at width 0.1, its last 1x1 convolution (1280
    channels at any width below 1) cut to 128, and 10 classes."""
    import torchvision
    from torchvision.ops.misc import Conv2dNormActivation
    seeded(16)
    m = torchvision.models.mobilenet_v2(weights=None, width_mult=0.1, num_classes=10)
    last = m.features[-1][0].in_channels
    m.features[-1] = Conv2dNormActivation(last, 128, kernel_size=1, activation_layer=nn.ReLU6)
    m.classifier[-1] = nn.Linear(128, 10)
    return calibrated(m, (4, 3, 64, 64), 220)


def mobilenet_v3_small_slim():
    """torchvision's mobilenet_v3_small at width 0.25 with its reduced tail, and 10 classes."""
    import torchvision
    seeded(17)
    m = torchvision.models.mobilenet_v3_small(weights=None, width_mult=0.25, reduced_tail=True, num_classes=10)
    return calibrated(m, (4, 3, 64, 64), 230)


class HFSelfAttentionBlock(nn.Module):
    """A BERT-style encoder layer, written the way Hugging Face's modeling code does:
    per-head views and permutes, scores divided by sqrt(head size), an additive
    attention mask from a 0/1 mask, softmax, dropout, a dense GELU feed-forward and
    post-layer-norm residuals."""

    def __init__(self, hidden=64, heads=4, inner=128):
        super().__init__()
        seeded(14)
        self.heads, self.head = heads, hidden // heads
        self.query, self.key, self.value = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.dense, self.ln1 = nn.Linear(hidden, hidden), nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate, self.output, self.ln2 = nn.Linear(hidden, inner), nn.Linear(inner, hidden), nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(0.1)

    def split(self, x):
        b, t, _ = x.size()
        return x.view(b, t, self.heads, self.head).permute(0, 2, 1, 3)

    def forward(self, hidden_states, attention_mask):
        q, k, v = self.split(self.query(hidden_states)), self.split(self.key(hidden_states)), self.split(self.value(hidden_states))
        scores = torch.matmul(q, k.transpose(-1, -2)) / (self.head ** 0.5)
        ext = (1.0 - attention_mask[:, None, None, :]) * torch.finfo(torch.float32).min
        probs = self.dropout(nn.functional.softmax(scores + ext, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.size(0), ctx.size(1), -1)
        a = self.ln1(self.dropout(self.dense(ctx)) + hidden_states)
        f = self.output(nn.functional.gelu(self.intermediate(a)))
        return self.ln2(self.dropout(f) + a)


def hf_inputs(k):
    mask = np.ones((2, 16), dtype=np.float32)
    mask[1, 10 + k:] = 0.0
    return [rand((2, 16, 64), 150 + k), mask]


def slim(spec):
    return dict(spec, deflate=True)


MODELS = {
    "resnet18": simple(resnet18, lambda k: [rand((1, 3, 112, 112), 160 + k)], n_cases=2, atol=3e-5,
                       about="torchvision resnet18, seeded weights, calibrated batch norms, 112x112 (ETCH_PT2_ZOO only: 45 MB)"),
    "resnet18_slim": slim(simple(resnet18_slim, lambda k: [rand((1, 3, 64, 64), 170 + k)], n_cases=2, atol=3e-5,
                            about="torchvision's ResNet with resnet18's blocks at 1/16 of its widths, seeded, calibrated, 64x64")),
    "mobilenet_v2_slim": slim(simple(mobilenet_v2_slim, lambda k: [rand((1, 3, 64, 64), 180 + k)], n_cases=2, atol=3e-5,
                                about="torchvision mobilenet_v2 at width 0.1 (last conv 128), seeded, calibrated, 64x64")),
    "mobilenet_v3_small_slim": slim(simple(mobilenet_v3_small_slim, lambda k: [rand((1, 3, 64, 64), 190 + k)], n_cases=2,
                                      atol=3e-5, about="torchvision mobilenet_v3_small at width 0.25, reduced tail, seeded, calibrated, 64x64")),
    "hf_block": simple(HFSelfAttentionBlock, hf_inputs, n_cases=2, atol=1e-5,
                       about="a BERT-style encoder layer as Hugging Face writes it: views, permutes, additive mask, softmax, GELU, post-LN"),
    "refused": simple(Refused, lambda k: [rand((1, 3, 8), 130 + k)], n_cases=1, atol=1e-5,
                      about="an argument etch refuses (a two-layer LSTM in the default form): the golden error test"),
    "unsupported": simple(Unsupported, lambda k: [rand((2, 8), 120 + k)], n_cases=1, atol=1e-5,
                          about="ops etch does not translate: the golden error test"),
}
