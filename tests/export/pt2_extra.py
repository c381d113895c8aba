"""Models from outside the zoo for tests/export/pt2.py, built from code with seeded weights.

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


MODELS = {
    "refused": simple(Refused, lambda k: [rand((1, 3, 8), 130 + k)], n_cases=1, atol=1e-5,
                      about="an argument etch refuses (a two-layer LSTM in the default form): the golden error test"),
    "unsupported": simple(Unsupported, lambda k: [rand((2, 8), 120 + k)], n_cases=1, atol=1e-5,
                          about="ops etch does not translate: the golden error test"),
}
