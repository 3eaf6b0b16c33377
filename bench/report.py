#!/usr/bin/python3
"""Prints the comparison table of scripts/bench.sh.

  bench/report.py ADJOINT.json PYTORCH.jsonl [--markdown]

ADJOINT.json is adjoint_jit_bench's Google Benchmark JSON output, run with
repetitions (its median, mean and stddev aggregates are used); PYTORCH.jsonl is
compare_pytorch.py's output. One row per workload and thread count:
Adjoint's median time, PyTorch's median time, how many times faster Adjoint
is (PyTorch time / Adjoint time; above 1 means Adjoint is faster), Adjoint's
fraction of the machine's ceiling measured in the same run (FMA peak of the
cores used for matmul, conv and the CNN; copy bandwidth on the same threads
for elementwise ops), the spread of Adjoint's repetitions (coefficient of
variation), and for both the process's CPU time over wall time and threads
(1.00: every thread had its core; less: other work on the machine took
some; rows under 0.9 are marked).
Ceilings, compile times and the acceptance figures follow.
"""

import argparse
import json
import re
import sys


def load_adjoint(path):
    """Returns {(name, threads): {aggregate: entry}} from Google Benchmark."""
    with open(path) as f:
        data = json.load(f)
    rows = {}
    for b in data["benchmarks"]:
        m = re.match(r"^(.*?)(?:/threads:(\d+))?(?:/process_time)?"
                     r"(?:/real_time)?$", b["run_name"])
        key = (m.group(1), int(m.group(2) or 1))
        agg = b.get("aggregate_name", "single")
        rows.setdefault(key, {})[agg] = b
    return data.get("context", {}), rows


def load_pytorch(path):
    rows, info = {}, {}
    with open(path) as f:
        for line in f:
            entry = json.loads(line)
            if "workload" in entry:
                rows[(entry["workload"], entry["threads"])] = entry
            else:
                info = entry
    return info, rows


SCALE = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def seconds(entry):
    return entry["real_time"] * SCALE[entry["time_unit"]]


def median(aggs):
    return aggs.get("median") or aggs.get("single")


def fmt_time(s):
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} us"


def table(header, rows, markdown):
    if markdown:
        out = ["| " + " | ".join(header) + " |",
               "|" + "|".join("---" for _ in header) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    line = lambda r: "  ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] +
                     [line(r) for r in rows])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("adjoint")
    parser.add_argument("pytorch")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    context, adj = load_adjoint(args.adjoint)
    torch_info, pt = load_pytorch(args.pytorch)

    header = ["workload", "threads", "Adjoint", "PyTorch", "Adjoint speedup",
              "of ceiling", "Adjoint cv", "CPU/wall (A, PT)"]
    rows = []
    for (name, threads), aggs in adj.items():
        if not name.startswith("jit/"):
            continue
        workload = name[len("jit/"):]
        med = median(aggs)
        t = seconds(med)
        ref = pt.get((workload, threads))
        pt_t = ref["seconds"] if ref else None
        if "of_peak" in med:
            ceiling = f"{med['of_peak']:.0%} of peak"
        elif "of_copy" in med:
            ceiling = f"{med['of_copy']:.0%} of copy"
        else:
            ceiling = "-"
        sd, mean = aggs.get("stddev"), aggs.get("mean")
        # The process's CPU time over wall time and threads: near 1 when
        # every thread had a core to itself, lower when other work ran.
        busy = med["cpu_time"] / med["real_time"] / threads
        pt_busy = ref.get("cpu_per_wall") if ref else None
        busy_text = f"{busy:.2f}" + (f", {pt_busy:.2f}" if pt_busy else "")
        if busy < 0.9 or (pt_busy and pt_busy < 0.9):
            busy_text += " *"
        rows.append([workload, str(threads), fmt_time(t), fmt_time(pt_t),
                     f"{pt_t / t:.2f}x" if pt_t else "-", ceiling,
                     f"{sd['real_time'] / mean['real_time']:.1%}"
                     if sd and mean else "-", busy_text])
    print(table(header, rows, args.markdown))
    if any(r[-1].endswith("*") for r in rows):
        print("\n* CPU/wall under 0.9: other work held a core during the "
              "benchmark (then the\n  row understates what the threads can "
              "do), or the work did not keep every\n  thread busy (a GEMM too "
              "small to cut, such as 64x784x64, runs on one thread).")

    def get(name, threads=1):
        aggs = adj.get((name, threads))
        return median(aggs) if aggs else None

    print()
    peak = get("ceiling/fma_peak")
    ceil_rows = []
    # A ceiling is the best of many short trials (bench/Ceilings.h); the
    # benchmark's median over its repetitions is shown beside it.
    if peak:
        ceil_rows.append(["FMA peak, one core",
                          f"{peak['GFLOP/s'] / peak['of_peak']:.0f} GFLOP/s",
                          f"{peak['GFLOP/s']:.0f} GFLOP/s"])
    for threads in (1, 2):
        copy = get("ceiling/copy_64MiB", threads)
        if copy:
            ceil_rows.append([f"copy 64 MiB, {threads} thread(s)",
                              f"{copy['GB/s'] / copy['of_copy']:.1f} GB/s",
                              f"{copy['GB/s']:.1f} GB/s"])
    for (name, threads), aggs in adj.items():
        if name.startswith("compile/"):
            ceil_rows.append([f"JIT compile of {name[len('compile/'):]}",
                              "-", fmt_time(seconds(median(aggs)))])
    print(table(["ceiling / compile", "ceiling", "median"], ceil_rows,
                args.markdown))

    print()
    acc = []
    mm1, mm2 = get("jit/matmul_1024x1024x1024", 1), get(
        "jit/matmul_1024x1024x1024", 2)
    if mm1:
        acc.append(["matmul 1024^3, 1 thread, of FMA peak (>= 70%)",
                    f"{mm1['of_peak']:.0%} ({mm1['GFLOP/s']:.0f} GFLOP/s)"])
    def held(entry, threads):
        """A note when other work held a core during the benchmark."""
        busy = entry["cpu_time"] / entry["real_time"] / threads
        return " (a core was busy: rerun)" if busy < 0.9 else ""

    if mm1 and mm2:
        acc.append(["matmul 1024^3, 2 threads over 1 (>= 1.7x)",
                    f"{seconds(mm1) / seconds(mm2):.2f}x" + held(mm2, 2)])
    for threads in (1, 2):
        add = get("jit/add_16M", threads)
        if add:
            acc.append([f"add 16M floats, {threads} thread(s), of copy "
                        "bandwidth (>= 60%)",
                        f"{add['of_copy']:.0%} ({add['GB/s']:.1f} GB/s)" +
                        held(add, threads)])
    cnn = get("compile/fashion_cnn")
    if cnn:
        acc.append(["JIT compile of fashion_cnn (< 1 s)",
                    fmt_time(seconds(cnn))])
    print(table(["acceptance figure", "measured"], acc, args.markdown))
    if torch_info:
        print(f"\nPyTorch {torch_info.get('torch')} (ATen kernels: "
              f"{torch_info.get('cpu_capability', 'unknown')}); environment "
              f"as required: {torch_info.get('environment_as_required')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
