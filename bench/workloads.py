"""The five reference workloads of compare_frameworks.py, in PyTorch.

Adjoint and ONNX Runtime run the very same models, exported to ONNX.

  a  Keras MLP 100-64 relu-10, batch 32, one-hot targets
  b  MLP 784-512 relu-512 relu-10, batch 128
  c  TensorFlow's MNIST CNN: conv 5x5x32 SAME, relu, max-pool 2,
     conv 5x5x64, relu, max-pool 2, fc 3136-1024 relu, fc 10, batch 64
  d  LSTM: 32 steps, input 64, hidden 128, linear on the last step, batch 32
  e  Transformer encoder block: d 128, 4 heads, ffn 512, post-LN, no
     dropout, mean over the sequence (64), linear, batch 16

make(name, batch) returns (model, x, y) with fixed seeds: y holds one-hot
float targets for a and class indices for the others; one_hot(y) turns
either into one-hot targets, cross_entropy(logits, t) is the loss that
both the exported training model and PyTorch's training step compute.
BATCH holds each workload's batch.
"""

import torch
from torch import nn
from torch.nn import functional as F

CLASSES = 10
BATCH = {"a": 32, "b": 128, "c": 64, "d": 32, "e": 16}


class MlpA(nn.Module):
    """Keras's MLP example: 100 -> 64 relu -> 10."""

    def __init__(self):
        super().__init__()
        self.l1, self.l2 = nn.Linear(100, 64), nn.Linear(64, CLASSES)

    def forward(self, x):
        # Logits: the softmax is part of the loss.
        return self.l2(F.relu(self.l1(x)))


class MlpB(nn.Module):
    """784 -> 512 relu -> 512 relu -> 10."""

    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(784, 512)
        self.l2 = nn.Linear(512, 512)
        self.l3 = nn.Linear(512, CLASSES)

    def forward(self, x):
        return self.l3(F.relu(self.l2(F.relu(self.l1(x)))))


class CnnC(nn.Module):
    """TensorFlow's MNIST CNN on [batch, 1, 28, 28] images."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 5, padding=2)
        self.c2 = nn.Conv2d(32, 64, 5, padding=2)
        self.f1 = nn.Linear(7 * 7 * 64, 1024)
        self.f2 = nn.Linear(1024, CLASSES)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.f2(F.relu(self.f1(torch.flatten(x, 1))))


class LstmD(nn.Module):
    """One LSTM layer over [32 steps, batch, 64], linear on the last step."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(64, 128)
        self.fc = nn.Linear(128, CLASSES)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(y[-1])


class TransformerE(nn.Module):
    """One encoder block over [batch, 64, 128], mean-pooled, linear."""

    def __init__(self):
        super().__init__()
        self.enc = nn.TransformerEncoderLayer(128, 4, 512, dropout=0.0,
                                              batch_first=True)
        self.fc = nn.Linear(128, CLASSES)

    def forward(self, x):
        return self.fc(self.enc(x).mean(dim=1))


def make(name, batch):
    """Returns (model, x, y) of workload `name` at `batch` examples."""
    g = torch.Generator().manual_seed(0)

    def labels():
        return torch.randint(0, CLASSES, (batch,), generator=g)

    if name == "a":
        model, x = MlpA(), torch.randn(batch, 100, generator=g)
        return model, x, F.one_hot(labels(), CLASSES).float()
    if name == "b":
        model, x = MlpB(), torch.randn(batch, 784, generator=g)
    elif name == "c":
        model, x = CnnC(), torch.randn(batch, 1, 28, 28, generator=g)
    elif name == "d":
        model, x = LstmD(), torch.randn(32, batch, 64, generator=g)
    elif name == "e":
        model, x = TransformerE(), torch.randn(batch, 64, 128, generator=g)
    else:
        raise KeyError(f"unknown workload {name!r} (known: "
                       f"{', '.join(BATCH)})")
    return model, x, labels()


def one_hot(y):
    """One-hot float targets from class indices; one-hot targets as they
    are."""
    return F.one_hot(y, CLASSES).float() if y.dim() == 1 else y


def cross_entropy(logits, t):
    """-sum(log_softmax(logits) * t) / batch, for one-hot targets t."""
    # The mean over the batch rather than a division by logits.shape[0],
    # which the ONNX export would trace as Shape and Gather nodes.
    return (-(F.log_softmax(logits, dim=1) * t).sum(1)).mean()
