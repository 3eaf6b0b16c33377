#!/usr/bin/env python3
"""numpy_mlp_check.py: checks `adjoint run` against an independent NumPy model.

Converts MODEL with `adjoint convert --materialize` so that every weight is
literal data, reads the converted file with the protobuf module generated from
proto/adjoint.proto, evaluates the node list with NumPy (in float64, one small
function per op, attributes read generically), runs `adjoint run` on the same
random inputs (integer inputs as labels in [0, 10), the training spec's float
labels as one-hot rows) and compares every output, the loss included.

  numpy_mlp_check.py --adjoint BIN --pb2-dir DIR --model FILE --workdir DIR

Exits 0 when the outputs agree within 1e-5 relative, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys

sys.dont_write_bytecode = True

import numpy as np  # noqa: E402

RTOL = 1e-5


def load_pb2(pb2_dir):
    sys.path.insert(0, pb2_dir)
    import adjoint_pb2  # noqa: E402

    from google.protobuf import text_format  # noqa: E402

    return adjoint_pb2, text_format


def numpy_dtype(pb2, dtype):
    table = {
        pb2.F32: np.float32,
        pb2.F64: np.float64,
        pb2.I32: np.int32,
        pb2.I64: np.int64,
        pb2.BOOL: np.bool_,
        pb2.U8: np.uint8,
    }
    if dtype not in table:
        raise SystemExit(f"unsupported dtype {dtype}")
    return np.dtype(table[dtype]).newbyteorder("<")


def attributes(node):
    """The node's attributes as a dict of Python values."""
    out = {}
    for a in node.attrs:
        kind = a.WhichOneof("value")
        if kind == "ints":
            out[a.name] = list(a.ints.values)
        elif kind == "floats":
            out[a.name] = list(a.floats.values)
        else:
            out[a.name] = getattr(a, kind)
    return out


def reduction(fn):
    def apply(args, attrs):
        (x,) = args
        axes = attrs.get("axes")
        axes = tuple(range(x.ndim)) if axes is None else tuple(axes)
        return fn(x, axis=axes, keepdims=bool(attrs.get("keepdims", False)))

    return apply


def cast(args, attrs):
    """cast in the float64 world: integers truncate, bools compare with 0."""
    (x,) = args
    to = attrs["to"]
    if to in (PB2.F32, PB2.F64):
        return np.asarray(x, dtype=np.float64)
    if to == PB2.BOOL:
        return np.asarray(x != 0, dtype=np.float64)
    return np.trunc(np.asarray(x, dtype=np.float64))


def constant(args, attrs):
    t = attrs["value"]
    dt = numpy_dtype(PB2, t.dtype)
    return np.frombuffer(t.raw_data, dtype=dt).reshape(tuple(t.dims)).astype(
        np.float64
    )


def iota(args, attrs):
    shape = tuple(attrs["shape"])
    return np.indices(shape)[attrs.get("axis", 0)].astype(np.float64)


def one_hot(args, attrs):
    """Rows of `depth` classes; an index that is no class is an error."""
    (x,) = args
    depth = attrs["depth"]
    idx = np.asarray(x, dtype=np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= depth):
        raise SystemExit(f"one_hot: an index is outside [0, {depth})")
    return np.eye(depth, dtype=np.float64)[idx]


PB2 = None  # the generated module, set by main()

OPS = {
    "matmul": lambda args, attrs: np.matmul(args[0], args[1]),
    "add": lambda args, attrs: args[0] + args[1],
    "sub": lambda args, attrs: args[0] - args[1],
    "mul": lambda args, attrs: args[0] * args[1],
    "div": lambda args, attrs: args[0] / args[1],
    "neg": lambda args, attrs: -args[0],
    "stop_gradient": lambda args, attrs: args[0],
    "relu": lambda args, attrs: np.maximum(args[0], 0.0),
    "exp": lambda args, attrs: np.exp(args[0]),
    "log": lambda args, attrs: np.log(args[0]),
    "equal": lambda args, attrs: np.asarray(args[0] == args[1], np.float64),
    "cast": cast,
    "constant": constant,
    "iota": iota,
    "one_hot": one_hot,
    "reshape": lambda args, attrs: np.reshape(args[0], tuple(attrs["shape"])),
    "reduce_max": reduction(np.max),
    "reduce_sum": reduction(np.sum),
    "reduce_mean": reduction(np.mean),
}


def evaluate(pb2, graph, inputs):
    """Evaluates `graph` with NumPy in float64; returns {output name: array}."""
    env = {}
    for name, array in inputs.items():
        env[name] = array.astype(np.float64)
    for p in graph.params:
        if p.WhichOneof("init") != "raw_data":
            raise SystemExit(f"parameter {p.name} is not literal data")
        dt = numpy_dtype(pb2, p.type.dtype)
        shape = tuple(p.type.dims)
        env[p.name] = (
            np.frombuffer(p.raw_data, dtype=dt).reshape(shape).astype(np.float64)
        )
    for node in graph.nodes:
        if node.op not in OPS:
            raise SystemExit(f"numpy_mlp_check: no NumPy rule for op {node.op}")
        args = [env[name] for name in node.operands]
        env[node.result] = OPS[node.op](args, attributes(node))
        if node.HasField("type"):
            expected = tuple(node.type.dims)
            if env[node.result].shape != expected:
                raise SystemExit(
                    f"node %{node.result} ({node.op}): NumPy shape "
                    f"{env[node.result].shape} but the model says {expected}"
                )
    return {o.name: env[o.value] for o in graph.outputs}


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd)} failed with status {done.returncode}:\n"
            f"{done.stdout}{done.stderr}"
        )
    return done


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adjoint", required=True, help="the adjoint binary")
    ap.add_argument("--pb2-dir", required=True, help="folder of adjoint_pb2.py")
    ap.add_argument("--model", required=True, help="model to check")
    ap.add_argument("--workdir", required=True, help="scratch folder")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    global PB2
    pb2, text_format = load_pb2(args.pb2_dir)
    PB2 = pb2
    os.makedirs(args.workdir, exist_ok=True)
    literal = os.path.join(args.workdir, "literal.pbtxt")
    run([args.adjoint, "convert", args.model, "-o", literal, "--materialize"])

    model = pb2.Model()
    with open(literal, encoding="utf-8") as f:
        text_format.Parse(f.read(), model)
    graph = model.graph

    rng = np.random.default_rng(args.seed)
    inputs = {}
    cmd = [args.adjoint, "run", args.model]
    labels = model.training.labels if model.HasField("training") else ""
    for inp in graph.inputs:
        dt = numpy_dtype(pb2, inp.type.dtype)
        shape = tuple(inp.type.dims)
        if np.issubdtype(dt, np.integer):
            # Class labels of a ten-class model.
            x = rng.integers(0, 10, size=shape).astype(dt)
        elif inp.name == labels:
            # One-hot rows for the targets of a softmax cross-entropy.
            x = np.eye(shape[-1], dtype=dt)[rng.integers(0, shape[-1], shape[0])]
        else:
            x = rng.uniform(-1.0, 1.0, size=shape).astype(dt)
        path = os.path.join(args.workdir, f"{inp.name}.npy")
        np.save(path, x)
        inputs[inp.name] = x
        cmd += ["-i", f"{inp.name}={path}"]
    out_dir = os.path.join(args.workdir, "out")
    cmd += ["-o", out_dir]
    run(cmd)

    expected = evaluate(pb2, graph, inputs)
    ok = True
    for name, want in expected.items():
        got = np.load(os.path.join(out_dir, f"{name}.npy"))
        if got.shape != want.shape:
            print(f"{name}: adjoint shape {got.shape}, NumPy {want.shape}")
            ok = False
            continue
        # Values near zero (logits) get an absolute slack of RTOL times
        # the output's scale; probabilities are compared purely relatively.
        atol = 0.0 if name == "probs" else RTOL * float(np.max(np.abs(want)))
        err = np.abs(got.astype(np.float64) - want)
        bad = err > atol + RTOL * np.abs(want)
        worst = float(np.max(err / np.maximum(np.abs(want), 1e-30)))
        print(f"{name}: {got.dtype}{list(got.shape)} max relative error {worst:.3g}")
        if np.any(bad):
            i = np.unravel_index(np.argmax(err - RTOL * np.abs(want)), want.shape)
            print(f"{name}: mismatch at {i}: adjoint {got[i]!r}, NumPy {want[i]!r}")
            ok = False
    if "probs" not in expected:
        print("the model has no output named probs")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
