#!/usr/bin/python3
"""Times Adjoint, PyTorch 1.13 and ONNX Runtime 1.30 on the same models.

The five reference workloads of bench/workloads.py (a: Keras MLP, b: MLP
784-512-512-10, c: TensorFlow's MNIST CNN, d: LSTM, e: Transformer encoder
block) are exported from PyTorch to ONNX, opset 13:

  NAME_train.onnx  inputs x and t (one-hot targets), scalar output `loss`
                   (-sum(log_softmax(logits) * t) / batch), exported without
                   constant folding so that the parameters stay initializers
  NAME_infer.onnx  input x, output logits

and timed, on each thread count, as

  train  `adjoint bench NAME_train.onnx --train --loss loss` (forward,
         backward and Adam updating the parameters in place) against
         PyTorch's forward, backward and torch.optim.Adam step;
  infer  `adjoint bench NAME_infer.onnx` against PyTorch's forward in eval
         mode under torch.no_grad(), and against ONNX Runtime's
         session.run through onnxruntime-node (CPU, all graph
         optimizations, intra-op threads = the thread count) when it is
         installed (scripts/setup.sh --bench puts it in build/ort-node).

Every figure is the median of 50 runs after 10 of warm-up. The frameworks
run in turn, Adjoint first, in --rounds rounds; the table shows the median
over the rounds and other/Adjoint (above 1: Adjoint is faster). Each round
also measures one core's FMA peak (adjoint_gemm_bench's BM_FmaPeak); the
best of the rounds is the peak, and `of peak` is Adjoint's GFLOP/s over
threads x that peak. Adjoint counts a training step as three forward
passes, more than a step does when its first layer needs no gradient of
its input (the MLPs, the CNN): there `of peak` overstates, up to above
100%.

PyTorch runs at its best: in a process of its own with OPENBLAS_CORETYPE
and OPENBLAS_L2_SIZE unset (they would hold OpenBLAS, which its matmul
calls, to another CPU's kernels and cache size), with glibc's malloc told
to keep freed memory (GLIBC_TUNABLES below; otherwise every step faults its
tensors in again), and on an AVX-512 CPU with ATEN_CPU_CAPABILITY=avx512,
which Debian's build does not pick by itself.

  bench/compare_frameworks.py [--threads 1,2] [--rounds 3] [--cases a,b]
      [--modes train,infer] [--adjoint PATH] [--gemm-bench PATH]
      [--ort-node DIR] [--json FILE] [--markdown]

It needs /usr/bin/python3 with python3-torch and python3-onnx, built
`adjoint` and `adjoint_gemm_bench`, and for the ONNX Runtime column node.js
with onnxruntime-node 1.30 (--ort-node, default $ORT_NODE_DIR or
build/ort-node). A workload that Adjoint fails to import or run shows as
failed with the first line of the error; the others go on.
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile

from report import fmt_time, table

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("ADJOINT_BUILD_DIR",
                       os.path.join(os.path.dirname(HERE), "build"))
PYTHON = "/usr/bin/python3"
TUNABLES = ("glibc.malloc.mmap_threshold=4294967296:"
            "glibc.malloc.trim_threshold=17179869184")
WARMUP, ITERS = 10, 50
TIMEOUT = 900  # seconds for one timed process: far above any workload's
CASES = "a,b,c,d,e"
MODES = ("train", "infer")
LABELS = {"export": "export", "adjoint": "Adjoint", "torch": "PyTorch",
          "ort": "ONNX Runtime"}

# ONNX Runtime's side, run with node:
#   node -e ORT_SCRIPT MODULE MODEL DIMS THREADS WARMUP ITERS
# prints the median seconds of session.run on random-like input of DIMS.
ORT_SCRIPT = r"""
const [module, model, dims, threads, warmup, iters] = process.argv.slice(1);
const ort = require(module);
(async () => {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ["cpu"], graphOptimizationLevel: "all",
    intraOpNumThreads: Number(threads), interOpNumThreads: 1,
    executionMode: "sequential"});
  const shape = JSON.parse(dims);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i) * 0.5;
  const feeds = {[session.inputNames[0]]: new ort.Tensor("float32", data,
                                                         shape)};
  const times = [];
  for (let i = 0; i < Number(warmup) + Number(iters); i++) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    if (i >= Number(warmup))
      times.push(Number(process.hrtime.bigint() - start) * 1e-9);
  }
  times.sort((a, b) => a - b);
  const n = times.length;
  const median = n % 2 ? times[(n - 1) / 2]
                       : (times[n / 2 - 1] + times[n / 2]) / 2;
  console.log(JSON.stringify({seconds: median}));
})().catch((e) => { console.error(String(e)); process.exit(1); });
"""


class Failure(Exception):
    """A framework could not export, import or run a workload."""


# --- Worker side: runs in a /usr/bin/python3 process of its own -----------

def export_models(out_dir, name):
    """Writes NAME_train.onnx and NAME_infer.onnx into out_dir."""
    import warnings
    import onnx
    import torch
    import workloads

    # The tracer warns about every Python-level shape use; none matters
    # for models of fixed shapes.
    warnings.filterwarnings("ignore")

    class WithLoss(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, x, t):
            return workloads.cross_entropy(self.model(x), t)

    model, x, y = workloads.make(name, workloads.BATCH[name])
    model.eval()
    t = workloads.one_hot(y)
    path = os.path.join(out_dir, name)
    torch.onnx.export(WithLoss(model), (x, t), path + "_train.onnx",
                      input_names=["x", "t"], output_names=["loss"],
                      opset_version=13, do_constant_folding=False)
    torch.onnx.export(model, (x,), path + "_infer.onnx", input_names=["x"],
                      output_names=["logits"], opset_version=13)
    # A model that breaks the ONNX specification fails here, not as an
    # import error of one of the frameworks.
    for kind in MODES:
        onnx.checker.check_model(path + f"_{kind}.onnx")


def time_torch(name, threads, mode):
    """Prints, as JSON, the median seconds of PyTorch's training step or
    inference, and PyTorch's version and ATen kernels."""
    import time
    import torch
    import workloads

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, x, y = workloads.make(name, workloads.BATCH[name])
    t = workloads.one_hot(y)
    if mode == "infer":
        # Eval mode lets PyTorch take its fused inference path for the
        # Transformer block, as the exported model is in eval mode too.
        model.eval()

        def step():
            with torch.no_grad():
                model(x)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step():
            opt.zero_grad(set_to_none=True)
            workloads.cross_entropy(model(x), t).backward()
            opt.step()

    times = []
    for i in range(WARMUP + ITERS):
        start = time.perf_counter()
        step()
        if i >= WARMUP:
            times.append(time.perf_counter() - start)
    shown = torch.__config__.show()
    kernels = (shown.split("CPU capability usage:")[1].split()[0]
               if "CPU capability usage:" in shown else "unknown")
    print(json.dumps({"seconds": statistics.median(times),
                      "torch": torch.__version__, "kernels": kernels}))


def worker(argv):
    if argv[0] == "export":
        export_models(argv[1], argv[2])
    else:
        time_torch(argv[1], int(argv[2]), argv[3])
    return 0


# --- Driver side -----------------------------------------------------------

def error_line(result):
    """The first line of a failed process's error."""
    err = [line.strip() for line in result.stderr.splitlines()
           if line.strip()]
    out = [line.strip() for line in result.stdout.splitlines()
           if line.strip()]
    # Adjoint prints notes (inputs filled at random) before its error;
    # Python closes its traceback with the exception.
    for line in err + out:
        if re.search(r"\berror:", line, re.IGNORECASE):
            return line[:160]
    if err and err[0].startswith("Traceback"):
        return err[-1][:160]
    if result.returncode < 0:
        return "killed by " + signal.Signals(-result.returncode).name
    if err or out:
        return (err or out)[0][:160]
    return f"exit status {result.returncode}"


def run(cmd, env=None):
    """Runs cmd; returns its stdout, or raises Failure with its error."""
    try:
        result = subprocess.run(cmd, capture_output=True, text=True,
                                env=env, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Failure(str(e).splitlines()[0]) from None
    if result.returncode != 0:
        raise Failure(error_line(result))
    return result.stdout


def last_json(stdout):
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise Failure("no result in the output: " + stdout[-160:])


UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}


def time_adjoint(adjoint, model, threads, mode):
    """Returns (median seconds, GFLOP/s) of `adjoint bench`."""
    cmd = [adjoint, "bench", model, "--threads", str(threads),
           "--warmup", str(WARMUP), "--iters", str(ITERS)]
    if mode == "train":
        cmd += ["--train", "--loss", "loss"]
    try:
        out = run(cmd)
    except Failure as e:
        # The note names the framework already.
        raise Failure(re.sub(r"^adjoint: ", "", str(e))) from None
    median = re.search(r"median\s+([0-9.eE+-]+)\s*(ns|us|µs|ms|s)\b", out)
    rate = re.search(r"throughput:\s*([0-9.eE+-]+)\s*runs/s,\s*"
                     r"([0-9.eE+-]+)\s*GFLOP/s", out)
    if not median or not rate:
        raise Failure("no median or throughput in adjoint's output")
    seconds = float(median.group(1)) * UNITS[median.group(2)]
    # runs/s is 1 / the same median, with more digits than the latency
    # line's.
    if float(rate.group(1)) > 0:
        seconds = 1.0 / float(rate.group(1))
    return seconds, float(rate.group(2))


def torch_env(threads):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(GLIBC_TUNABLES=TUNABLES, OMP_NUM_THREADS=str(threads))
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= cpu_flags():
        env["ATEN_CPU_CAPABILITY"] = "avx512"
    return env


def time_pytorch(name, threads, mode):
    out = run([PYTHON, os.path.abspath(__file__), "--worker", "torch", name,
               str(threads), mode], torch_env(threads))
    return last_json(out)


def input_dims(model):
    """The shape of the ONNX model's first input."""
    import onnx
    shape = onnx.load(model).graph.input[0].type.tensor_type.shape
    return [d.dim_value for d in shape.dim]


def time_ort(module, model, dims, threads):
    out = run(["node", "-e", ORT_SCRIPT, module, model, json.dumps(dims),
               str(threads), str(WARMUP), str(ITERS)])
    return last_json(out)["seconds"]


def fma_peak(gemm_bench):
    """One core's FMA peak in GFLOP/s, from adjoint_gemm_bench."""
    out = run([gemm_bench, "--benchmark_filter=BM_FmaPeak",
               "--benchmark_format=json"])
    try:
        return json.loads(out)["benchmarks"][0]["GFLOP/s"]
    except (ValueError, KeyError, IndexError):
        raise Failure("no GFLOP/s in adjoint_gemm_bench's output") from None


def cpu_info():
    """The CPU's model name from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def ort_module(directory):
    """The onnxruntime-node module in directory and its version, or
    (None, None)."""
    module = os.path.join(directory, "node_modules", "onnxruntime-node")
    try:
        with open(os.path.join(module, "package.json")) as f:
            return module, json.load(f).get("version", "?")
    except (OSError, ValueError):
        return None, None


class Row:
    """The figures of one workload, mode and thread count over the rounds."""

    def __init__(self, case, mode, threads):
        self.case, self.mode, self.threads = case, mode, threads
        self.adjoint, self.gflops, self.torch, self.ort = [], [], [], []
        self.errors = {}  # framework -> first line of its error

    def median(self, name):
        values = getattr(self, name)
        return statistics.median(values) if values else None

    def as_json(self):
        return {"case": self.case, "mode": self.mode,
                "threads": self.threads, "adjoint_seconds": self.adjoint,
                "adjoint_gflops": self.gflops, "torch_seconds": self.torch,
                "ort_seconds": self.ort, "errors": self.errors}


def measure(args, out_dir, cases, threads, ort):
    """Exports and times everything; returns (rows, peaks, info)."""
    modes = args.modes.split(",")
    rows = {(c, m, t): Row(c, m, t)
            for c in cases for m in modes for t in threads}
    dims = {}
    for case in cases:
        try:
            run([PYTHON, os.path.abspath(__file__), "--worker", "export",
                 out_dir, case])
            dims[case] = input_dims(os.path.join(out_dir,
                                                 case + "_infer.onnx"))
        except Failure as e:
            for row in rows.values():
                if row.case == case:
                    row.errors["export"] = str(e)
    peaks, info = [], {}
    for r in range(args.rounds):
        try:
            peaks.append(fma_peak(args.gemm_bench))
        except Failure as e:
            info["peak_error"] = str(e)
        for row in rows.values():
            if "export" in row.errors:
                continue
            print(f"compare_frameworks: round {r + 1}/{args.rounds}: "
                  f"{row.case} {row.mode} on {row.threads} thread(s)",
                  file=sys.stderr, flush=True)
            model = os.path.join(out_dir, f"{row.case}_{row.mode}.onnx")
            # A framework that failed once fails again: it is not rerun.
            if "adjoint" not in row.errors:
                try:
                    seconds, gflops = time_adjoint(args.adjoint, model,
                                                   row.threads, row.mode)
                    row.adjoint.append(seconds)
                    row.gflops.append(gflops)
                except Failure as e:
                    row.errors["adjoint"] = str(e)
            if "torch" not in row.errors:
                try:
                    result = time_pytorch(row.case, row.threads, row.mode)
                    row.torch.append(result["seconds"])
                    info["torch"] = (f"PyTorch {result['torch']} (ATen "
                                     f"kernels: {result['kernels']})")
                except Failure as e:
                    row.errors["torch"] = str(e)
            if ort and row.mode == "infer" and "ort" not in row.errors:
                try:
                    row.ort.append(time_ort(ort, model, dims[row.case],
                                            row.threads))
                except Failure as e:
                    row.errors["ort"] = str(e)
    return list(rows.values()), peaks, info


def ratio(other, adjoint):
    return f"{other / adjoint:.2f}" if other and adjoint else "-"


def print_tables(rows, peak, cases, threads, ort, markdown):
    import workloads

    header = ["workload", "mode", "threads", "Adjoint", "GFLOP/s", "of peak",
              "PyTorch", "PyTorch/Adj"]
    if ort:
        header += ["ORT", "ORT/Adj"]
    notes = any(row.errors for row in rows)
    if notes:
        header.append("note")
    lines = []
    for row in rows:
        adj = row.median("adjoint")
        # GFLOP/s at the median time over the rounds: each run's FLOP
        # count is the same, its rate is FLOPs / that run's median.
        flops = row.gflops[0] * row.adjoint[0] if adj else None
        gflops = flops / adj if adj else None
        line = [f"{row.case} (b{workloads.BATCH[row.case]})", row.mode,
                str(row.threads),
                "failed" if "adjoint" in row.errors or "export" in row.errors
                else fmt_time(adj),
                f"{gflops:.1f}" if gflops else "-",
                f"{gflops / (row.threads * peak):.0%}"
                if gflops and peak else "-",
                "failed" if "torch" in row.errors else fmt_time(
                    row.median("torch")),
                ratio(row.median("torch"), adj)]
        if ort:
            if row.mode == "infer":
                line += ["failed" if "ort" in row.errors
                         else fmt_time(row.median("ort")),
                         ratio(row.median("ort"), adj)]
            else:
                line += ["-", "-"]
        if notes:
            line.append("; ".join(f"{LABELS[k]}: {v}" for k, v in
                                  row.errors.items()))
        lines.append(line)
    print(table(header, lines, markdown))

    if len(threads) < 2:
        return
    base = threads[0]
    by_key = {(r.case, r.mode, r.threads): r for r in rows}
    header = ["workload", "mode"]
    for t in threads[1:]:
        header += [f"Adjoint {t}T/{base}T", f"PyTorch {t}T/{base}T"]
    lines = []
    for case in cases:
        for mode in dict.fromkeys(r.mode for r in rows):
            line = [case, mode]
            one = by_key[(case, mode, base)]
            for t in threads[1:]:
                more = by_key[(case, mode, t)]
                for name in ("adjoint", "torch"):
                    a, b = one.median(name), more.median(name)
                    line.append(f"{a / b:.2f}x" if a and b else "-")
            lines.append(line)
    print()
    print(f"Speed-up on more threads (time on {base} over time on N):")
    print()
    print(table(header, lines, markdown))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        # The export and every PyTorch measurement run in processes of
        # their own: PyTorch's environment must be set before it starts, and
        # no measurement inherits the threads or the heap of another.
        return worker(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", default="1,2",
                        help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of measurement (default 3)")
    parser.add_argument("--cases", default=CASES,
                        help=f"comma-separated workloads (default {CASES})")
    parser.add_argument("--modes", default=",".join(MODES),
                        help="train, infer or both (default train,infer)")
    parser.add_argument("--adjoint", default=os.path.join(
        BUILD, "bin", "adjoint"), help="the adjoint binary")
    parser.add_argument("--gemm-bench", default=os.path.join(
        BUILD, "bench", "adjoint_gemm_bench"),
        help="adjoint_gemm_bench, which measures the FMA peak")
    parser.add_argument("--ort-node", default=os.environ.get(
        "ORT_NODE_DIR", os.path.join(BUILD, "ort-node")),
        help="the directory onnxruntime-node is installed in "
             "(default $ORT_NODE_DIR or build/ort-node)")
    parser.add_argument("--json", help="also write the raw figures here")
    parser.add_argument("--markdown", action="store_true",
                        help="print Markdown tables")
    args = parser.parse_args()

    cases = args.cases.split(",")
    threads = [int(t) for t in args.threads.split(",")]
    import workloads
    unknown = [c for c in cases if c not in workloads.BATCH]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)} (known: "
                     f"{', '.join(workloads.BATCH)})")
    if not set(args.modes.split(",")) <= set(MODES):
        parser.error("--modes takes train, infer or train,infer")
    if args.rounds < 1 or min(threads) < 1:
        parser.error("--rounds and --threads take numbers from 1")
    # node resolves a relative module path from the script, not from here.
    args.ort_node = os.path.abspath(args.ort_node)
    ort, ort_version = ort_module(args.ort_node)

    with tempfile.TemporaryDirectory(prefix="adjoint-frameworks-") as tmp:
        rows, peaks, info = measure(args, tmp, cases, threads, ort)
    peak = max(peaks) if peaks else None

    flags = cpu_flags()
    setup = [f"CPU: {cpu_info()}, {os.cpu_count()} logical CPUs, avx512f: "
             f"{'yes' if 'avx512f' in flags else 'no'}"]
    if peak:
        setup.append(f"FMA peak of one core: {peak:.0f} GFLOP/s (the best "
                     f"of {len(peaks)} run(s) of adjoint_gemm_bench's "
                     "BM_FmaPeak)")
    else:
        setup.append("FMA peak not measured: " +
                     info.get("peak_error", "?"))
    ort_text = (f"onnxruntime-node {ort_version}" if ort else
                f"not installed in {args.ort_node} (scripts/setup.sh "
                "--bench installs it), no column")
    setup.append(f"{info.get('torch', 'PyTorch: no figure')}; "
                 f"ONNX Runtime (ORT): {ort_text}")
    setup.append(f"Each time: the median over {args.rounds} round(s) of the "
                 f"median of {ITERS} runs after {WARMUP} of warm-up. X/Adj: "
                 "X's time over Adjoint's (above 1: Adjoint is faster).")
    print("\n".join(("- " if args.markdown else "") + line
                    for line in setup))
    print()
    print_tables(rows, peak, cases, threads, ort, args.markdown)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cpu": cpu_info(), "avx512f": "avx512f" in flags,
                       "fma_peak_gflops": peaks, "rounds": args.rounds,
                       "warmup": WARMUP, "iters": ITERS,
                       "torch": info.get("torch"), "ort": ort_version,
                       "rows": [r.as_json() for r in rows]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
