#!/usr/bin/env python3
"""Time one training epoch of the example models in PyTorch.

The same architectures, batch sizes and optimizer (Adam, lr 1e-3, eps 1e-7)
as examples/*.pbtxt, on Fashion-MNIST from Debian's dataset-fashion-mnist,
for a side-by-side figure with `adjoint train`. Run it through
scripts/bench-train.sh, which gives PyTorch its best environment.

Usage: train_pytorch.py MODEL THREADS   (MODEL: mlp, mlp_wide or cnn)
Prints one line: model, threads, seconds per epoch, examples/s, test accuracy.
"""
import gzip
import sys
import time

import numpy as np
import torch

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name, offset):
    with gzip.open(f"{DATA}/{name}", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def model_of(kind):
    nn = torch.nn
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(),
                             nn.Linear(64, 10)), 32
    if kind == "mlp_wide":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                             nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10)), 64
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 1024), nn.ReLU(),
        nn.Linear(1024, 10)), 64


def main():
    kind, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.from_numpy(idx("train-images-idx3-ubyte.gz", 16).reshape(
        -1, 1, 28, 28).astype(np.float32) / 255)
    y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
    tx = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz", 16).reshape(
        -1, 1, 28, 28).astype(np.float32) / 255)
    ty = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
    model, batch = model_of(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(x.shape[0])
    steps = x.shape[0] // batch
    start = time.perf_counter()
    for s in range(steps):
        idx_ = order[s * batch:(s + 1) * batch]
        opt.zero_grad()
        loss = loss_fn(model(x[idx_]), y[idx_])
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        acc = (model(tx).argmax(1) == ty).float().mean().item()
    print(f"pytorch {kind} threads={threads} epoch={seconds:.2f}s "
          f"examples/s={steps * batch / seconds:.0f} test_accuracy={acc:.4f}")


if __name__ == "__main__":
    main()
