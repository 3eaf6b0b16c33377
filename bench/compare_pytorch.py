#!/usr/bin/python3
"""Times the workloads of adjoint_jit_bench in PyTorch, for comparison.

The same shapes as bench/JitBench.cpp: elementwise ops over 16M floats, the
square and MLP-shaped matmuls, the example CNN's two convolutions at batch
64, and the whole CNN (examples/fashion_cnn.pbtxt's architecture) at batch 1
and 64, each on 1 and 2 threads (torch.set_num_threads). PyTorch runs at its
best: under torch.no_grad(), after a warm-up, writing into preallocated
outputs where the op allows it (out=), and each figure is the median of
repeated timed samples.

Prints one JSON object per line:

  {"workload": "add_16M", "threads": 1, "seconds": 0.0052, "samples": 7,
   "min_seconds": ..., "max_seconds": ..., "cpu_per_wall": 0.99}

where cpu_per_wall is the process's CPU time over wall time and threads
(near 1 when each thread had a core; OpenMP threads that spin while they
wait count as busy)

and first a line {"torch": VERSION, ...} describing the setup.

It must run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (they would
hold OpenBLAS, which PyTorch's matmul calls, to another CPU's kernels and
cache size) and with

  GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=17179869184

so that glibc keeps freed tensors for reuse instead of unmapping and
faulting them in again on every call. scripts/bench.sh sets that
environment for this process only; the script refuses to run without it
(--any-env runs it anyway, for experiments). On a CPU with AVX-512,
scripts/bench.sh also sets ATEN_CPU_CAPABILITY=avx512: Debian's PyTorch
otherwise runs its AVX2 kernels (exp over 16M floats takes 6 ms instead of
4 on the reference machine; the other workloads do not change).

  bench/compare_pytorch.py [--threads 1,2] [--only SUBSTRING] [--any-env]
"""

import argparse
import json
import os
import statistics
import sys
import time

TUNABLES = ("glibc.malloc.mmap_threshold=4294967296:"
            "glibc.malloc.trim_threshold=17179869184")
ELEMENTS = 16 << 20


def check_environment():
    """Returns a list of what differs from the required environment."""
    problems = []
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if name in os.environ:
            problems.append(f"{name} is set ({os.environ[name]})")
    if os.environ.get("GLIBC_TUNABLES") != TUNABLES:
        problems.append("GLIBC_TUNABLES is not " + TUNABLES)
    return problems


def time_it(fn, min_sample_seconds=0.05, samples=7, warmup_seconds=0.1):
    """Runs fn after a warm-up; returns per-call seconds of each sample and
    the process's CPU time over wall time of each sample.

    A sample times enough back-to-back calls to last min_sample_seconds.
    """
    fn()
    start = time.perf_counter()
    calls = 0
    while time.perf_counter() - start < warmup_seconds or calls < 2:
        fn()
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    batch = max(1, int(min_sample_seconds / max(per_call, 1e-9)))
    result, busy = [], []
    for _ in range(samples):
        cpu = time.process_time()
        start = time.perf_counter()
        for _ in range(batch):
            fn()
        wall = time.perf_counter() - start
        result.append(wall / batch)
        busy.append((time.process_time() - cpu) / wall)
    return result, busy


def cnn_model(torch):
    """The example CNN: the layers of examples/fashion_cnn.pbtxt."""
    nn = torch.nn
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(3136, 1024), nn.ReLU(), nn.Linear(1024, 10),
        nn.Softmax(dim=1)).eval()


def workloads(torch):
    """Yields (name, zero-argument function) for every workload.

    Names match the rows of scripts/bench.sh's table. Tensors are created
    when the workload is first reached and freed after it.
    """
    def rand(*shape):
        return torch.rand(*shape, dtype=torch.float32) * 2 - 1

    def elementwise():
        x, y, z = rand(ELEMENTS), rand(ELEMENTS), torch.empty(ELEMENTS)
        yield "add_16M", lambda: torch.add(x, y, out=z)
        yield "relu_16M", lambda: torch.clamp_min(x, 0, out=z)
        m, b, out = rand(4096, 4096), rand(4096), torch.empty(4096, 4096)
        yield "broadcast_add_4096x4096+4096", lambda: torch.add(m, b, out=out)
        yield "exp_16M", lambda: torch.exp(x, out=z)

    def matmuls():
        for m, k, n in ((1024, 1024, 1024), (64, 784, 64), (64, 3136, 1024)):
            a, b, c = rand(m, k), rand(k, n), torch.empty(m, n)
            yield f"matmul_{m}x{k}x{n}", lambda a=a, b=b, c=c: torch.matmul(
                a, b, out=c)

    def convs():
        f = torch.nn.functional
        for n, c, h, o in ((64, 1, 28, 32), (64, 32, 14, 64)):
            x, w = rand(n, c, h, h), rand(o, c, 5, 5)
            yield (f"conv2d_{n}x{c}x{h}x{h}_w{o}x{c}x5x5",
                   lambda x=x, w=w: f.conv2d(x, w, padding=2))

    def cnns():
        model = cnn_model(torch)
        for batch in (1, 64):
            x = rand(batch, 1, 28, 28)
            yield f"cnn_batch{batch}", lambda x=x: model(x)

    yield from elementwise()
    yield from matmuls()
    yield from convs()
    yield from cnns()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", default="1,2",
                        help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--only", default="",
                        help="run only workloads whose name contains this")
    parser.add_argument("--samples", type=int, default=7,
                        help="timed samples per workload (default 7)")
    parser.add_argument("--any-env", action="store_true",
                        help="run even if the environment is not as required")
    args = parser.parse_args()

    problems = check_environment()
    if problems and not args.any_env:
        print("compare_pytorch.py: error: " + "; ".join(problems) +
              "\nrun it as scripts/bench.sh does:\n"
              "  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
              f"GLIBC_TUNABLES={TUNABLES} /usr/bin/python3 "
              "bench/compare_pytorch.py", file=sys.stderr)
        return 2

    import torch
    threads = [int(t) for t in args.threads.split(",")]
    shown = torch.__config__.show()
    capability = (shown.split("CPU capability usage:")[1].split()[0]
                  if "CPU capability usage:" in shown else "unknown")
    print(json.dumps({"torch": torch.__version__,
                      "cpu_capability": capability,
                      "config": torch.__config__.parallel_info().strip()
                      .splitlines()[:4],
                      "mkldnn": torch.backends.mkldnn.is_available(),
                      "environment_as_required": not problems}), flush=True)
    with torch.no_grad():
        for t in threads:
            torch.set_num_threads(t)
            for name, fn in workloads(torch):
                if args.only not in name:
                    continue
                secs, busy = time_it(fn, samples=args.samples)
                print(json.dumps({
                    "workload": name, "threads": t,
                    "seconds": statistics.median(secs),
                    "min_seconds": min(secs), "max_seconds": max(secs),
                    "samples": len(secs),
                    "cpu_per_wall": statistics.median(busy) / t}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
