"""Models beyond the five reference workloads, in PyTorch, for the same comparisons.

The five of workloads.py are the ones the targets name; these are the kinds
of model the gains must also hold on, with other shapes and ops:

  f  VGG-style CNN on 3 x 32 x 32: two 3x3 convs of 32, max-pool, two 3x3
     convs of 64, max-pool, fc 4096-128 relu, fc 10, batch 32
  g  Residual CNN on 3 x 32 x 32: a 3x3 stem of 16, two residual blocks
     (3x3, relu, 3x3, + skip, relu), a stride-2 block to 32 channels with a
     1x1 projection, global average pool, fc 10, batch 32
  h  tanh MLP 784-256 tanh-256 tanh-10, batch 64
  i  GRU: 28 steps of 28 inputs (an image read row by row), hidden 128,
     linear on the last step, batch 64
  j  Elman RNN, two layers of 128 tanh units, 48 steps of 32 inputs,
     linear on the last step, batch 32
  k  Bidirectional LSTM, 24 steps of 48 inputs, 96 units each way, linear
     on the last step's two halves, batch 16

Usage: ../shared/bench/side_by_side.py build/bin/adjoint --zoo bench/more_workloads.py
[--infer] [--threads 2]; make(name, batch) and BATCH as in workloads.py.
"""

import torch
from torch import nn
from torch.nn import functional as F

CLASSES = 10
BATCH = {"f": 32, "g": 32, "h": 64, "i": 64, "j": 32, "k": 16}


class VggF(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(3, 32, 3, padding=1), nn.Conv2d(32, 32, 3, padding=1)
        self.c3, self.c4 = nn.Conv2d(32, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1)
        self.f1, self.f2 = nn.Linear(64 * 8 * 8, 128), nn.Linear(128, CLASSES)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c2(F.relu(self.c1(x)))), 2)
        x = F.max_pool2d(F.relu(self.c4(F.relu(self.c3(x)))), 2)
        return self.f2(F.relu(self.f1(x.flatten(1))))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)
        self.b = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1, stride=stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        s = x if self.skip is None else self.skip(x)
        return F.relu(self.b(F.relu(self.a(x))) + s)


class ResG(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.blocks = nn.Sequential(Block(16, 16, 1), Block(16, 16, 1), Block(16, 32, 2))
        self.fc = nn.Linear(32, CLASSES)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x)))
        return self.fc(x.mean(dim=(2, 3)))


class TanhH(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(784, 256), nn.Linear(256, 256), nn.Linear(256, CLASSES)

    def forward(self, x):
        return self.l3(torch.tanh(self.l2(torch.tanh(self.l1(x)))))


class GruI(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn, self.fc = nn.GRU(28, 128), nn.Linear(128, CLASSES)

    def forward(self, x):  # x: [seq, batch, 28]
        return self.fc(self.rnn(x)[0][-1])


class RnnJ(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn, self.fc = nn.RNN(32, 128, num_layers=2), nn.Linear(128, CLASSES)

    def forward(self, x):  # x: [seq, batch, 32]
        return self.fc(self.rnn(x)[0][-1])


class BiLstmK(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn, self.fc = nn.LSTM(48, 96, bidirectional=True), nn.Linear(192, CLASSES)

    def forward(self, x):  # x: [seq, batch, 48]
        return self.fc(self.rnn(x)[0][-1])


def make(name, batch):
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    shapes = {"f": (batch, 3, 32, 32), "g": (batch, 3, 32, 32), "h": (batch, 784),
              "i": (28, batch, 28), "j": (48, batch, 32), "k": (24, batch, 48)}
    models = {"f": VggF, "g": ResG, "h": TanhH, "i": GruI, "j": RnnJ, "k": BiLstmK}
    if name not in models:
        raise KeyError(name)
    x = torch.randn(*shapes[name], generator=g)
    y = torch.randint(0, CLASSES, (batch,), generator=g)
    return models[name](), x, y


def loss_fn(logits, y):
    return F.cross_entropy(logits, y)
