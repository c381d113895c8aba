"""Models from outside the zoo for tests/export/pt2.py, built from code with seeded weights.

- resnet18: torchvision's, seeded, batch norms calibrated on seeded batches;
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


MODELS = {
    "resnet18": simple(resnet18, lambda k: [rand((1, 3, 112, 112), 160 + k)], n_cases=2, atol=3e-5,
                       about="torchvision resnet18, seeded weights, calibrated batch norms, 112x112 (zoo only: 45 MB)"),
    "hf_block": simple(HFSelfAttentionBlock, hf_inputs, n_cases=2, atol=1e-5,
                       about="a BERT-style encoder layer as Hugging Face writes it: views, permutes, additive mask, softmax, GELU, post-LN"),
    "refused": simple(Refused, lambda k: [rand((1, 3, 8), 130 + k)], n_cases=1, atol=1e-5,
                      about="an argument etch refuses (a two-layer LSTM in the default form): the golden error test"),
    "unsupported": simple(Unsupported, lambda k: [rand((2, 8), 120 + k)], n_cases=1, atol=1e-5,
                          about="ops etch does not translate: the golden error test"),
}
