#!/usr/bin/env python3
"""torch_dynamic_batch_check.py: a PyTorch model exported with a dynamic batch.

Exports two small CNN classifiers to ONNX with `dynamic_axes` on the batch:
one flattens with torch.flatten (ONNX Flatten), the other with
x.view(x.size(0), -1) (Shape, Gather, Concat and Reshape). Checks that
`adjoint check` shows the batch as the symbol `batch`, and that
`adjoint run` on batches of 1, 7 and 64 examples (the interpreter and the
JIT) matches PyTorch's outputs within 1e-5 of their largest magnitude.

  torch_dynamic_batch_check.py --adjoint BIN --workdir DIR

Exits 0 when everything agrees, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys
import warnings

sys.dont_write_bytecode = True
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

TOL = 1e-5


class Flat(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 14 * 14, 10)

    def features(self, x):
        return F.max_pool2d(F.relu(self.conv(x)), 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class View(Flat):
    def forward(self, x):
        h = self.features(x)
        return self.fc(h.view(h.size(0), -1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--adjoint", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    torch.manual_seed(0)
    failures = 0
    for cls in (Flat, View):
        model = cls().eval()
        path = os.path.join(a.workdir, cls.__name__.lower() + ".onnx")
        torch.onnx.export(model, (torch.randn(2, 1, 28, 28),), path,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                          opset_version=13)
        check = subprocess.run([a.adjoint, "check", path],
                               capture_output=True, text=True)
        if check.returncode != 0 or "x: f32[batch,1,28,28]" not in check.stdout \
                or check.stderr:
            print(f"{cls.__name__}: the batch is not symbolic:\n"
                  f"{check.stdout}{check.stderr}")
            failures += 1
            continue
        for batch in (1, 7, 64):
            x = torch.randn(batch, 1, 28, 28)
            with torch.no_grad():
                want = model(x).double().numpy()
            xs = os.path.join(a.workdir, f"x{batch}.npy")
            np.save(xs, x.numpy())
            for engine in ("interp", "jit"):
                out = os.path.join(a.workdir, f"{cls.__name__}{batch}{engine}")
                r = subprocess.run([a.adjoint, "run", path, "--engine", engine,
                                    "-i", "x=" + xs, "-o", out],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    print(f"{cls.__name__} batch {batch} {engine}: {r.stderr}")
                    failures += 1
                    continue
                got = np.load(os.path.join(out, "y.npy"))
                err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-30)
                ok = got.shape == want.shape and err <= TOL
                print(f"{cls.__name__} batch {batch:3} {engine:6}: "
                      f"shape {got.shape}, error {err:.2e} "
                      f"{'ok' if ok else 'MISMATCH'}")
                failures += not ok
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
