#!/usr/bin/env python3
"""torch_training_check.py: checks Adjoint's gradients and Adam step against PyTorch.

For examples/fashion_mlp.pbtxt, examples/fashion_cnn.pbtxt and
examples/fashion_transformer.pbtxt (whose encoder layers are PyTorch's own
nn.TransformerEncoderLayer, GELU, no dropout, layer norm after each block,
with Adjoint's weights copied in), and with --layers-model the models that
tool writes (one encoder layer with layer norm first, ReLU and a causal
mask, as nn.TransformerEncoderLayer(norm_first=True) with a causal
src_mask; bidirectional LSTM, GRU and RNN layers as nn.LSTM, nn.GRU and
nn.RNN; an LSTM over 1024 steps): exports the
weights with `adjoint convert --materialize` and reads them with the protobuf
module generated from proto/adjoint.proto; builds the same network in
PyTorch (nn.Linear, nn.Conv2d, max_pool2d, F.cross_entropy) with those
weights; on one fixed random batch (x.npy, y.npy) compares

  - the loss and every parameter's gradient with the outputs of Adjoint's
    gradient model (`adjoint grad`, then `adjoint run`), and
  - the parameters after one training step (`adjoint train` on a directory
    holding that one batch) with torch.optim.Adam(lr=1e-3, eps=1e-7) after
    one step from the same weights and the gradients compared above,

each within 1e-4 relative to the largest magnitude of the tensor compared.
PyTorch computes in float64; Adjoint in float32.

  torch_training_check.py --adjoint BIN --pb2-dir DIR --examples DIR --workdir DIR

Exits 0 when everything agrees, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys

sys.dont_write_bytecode = True

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

RTOL = 1e-4
# A gradient that is 0 in exact arithmetic (attention's key bias, which
# softmax cancels) is float32 rounding noise: it is compared within RTOL of
# this fraction of the model's largest gradient (RTOL * 1e-3 = 1e-7, a
# float32 rounding of the largest), not of its own magnitude.
ZERO_GRAD_SCALE = 1e-3
# Gradients below this fraction of a parameter's largest are rounding noise
# for the Adam step comparison.
GRAD_NOISE = 1e-5


def load_params(pb2_dir, path):
    """The literal parameters of the model file `path` as float64 arrays."""
    sys.path.insert(0, pb2_dir)
    import adjoint_pb2  # noqa: E402
    from google.protobuf import text_format  # noqa: E402

    model = adjoint_pb2.Model()
    with open(path) as f:
        text_format.Parse(f.read(), model)
    params = {}
    for p in model.graph.params:
        if p.WhichOneof("init") != "raw_data":
            raise SystemExit(f"parameter {p.name} is not literal data")
        if p.type.dtype != adjoint_pb2.F32:
            raise SystemExit(f"parameter {p.name} is not f32")
        data = np.frombuffer(p.raw_data, dtype=np.dtype("<f4"))
        params[p.name] = data.reshape(tuple(p.type.dims)).astype(np.float64)
    return params


def mlp(p, x):
    h = F.relu(F.linear(x, p["fc1_w"].T, p["fc1_b"]))
    return F.linear(h, p["fc2_w"].T, p["fc2_b"])


def cnn(p, x):
    h = F.conv2d(x, p["conv1_w"], p["conv1_b"].reshape(-1), padding=2)
    h = F.max_pool2d(F.relu(h), 2, 2)
    h = F.conv2d(h, p["conv2_w"], p["conv2_b"].reshape(-1), padding=2)
    h = F.max_pool2d(F.relu(h), 2, 2)
    h = torch.flatten(h, 1)
    h = F.relu(F.linear(h, p["fc1_w"].T, p["fc1_b"]))
    return F.linear(h, p["fc2_w"].T, p["fc2_b"])


def encoder_layer(p, prefix, heads=4, activation="gelu", norm_first=False):
    """PyTorch's encoder layer holding Adjoint's weights of layer `prefix`
    (x @ W in Adjoint, x @ W^T in torch.nn.Linear)."""
    d = p[prefix + "_attn_wq"].shape[0]
    ff = p[prefix + "_ff1_w"].shape[1]
    layer = torch.nn.TransformerEncoderLayer(
        d, heads, dim_feedforward=ff, dropout=0.0, activation=activation,
        batch_first=True, norm_first=norm_first).double()
    attn = layer.self_attn
    with torch.no_grad():
        attn.in_proj_weight.copy_(torch.cat(
            [p[f"{prefix}_attn_w{w}"].T for w in "qkv"]))
        attn.in_proj_bias.copy_(torch.cat(
            [p[f"{prefix}_attn_b{w}"] for w in "qkv"]))
        attn.out_proj.weight.copy_(p[prefix + "_attn_wo"].T)
        attn.out_proj.bias.copy_(p[prefix + "_attn_bo"])
        layer.linear1.weight.copy_(p[prefix + "_ff1_w"].T)
        layer.linear1.bias.copy_(p[prefix + "_ff1_b"])
        layer.linear2.weight.copy_(p[prefix + "_ff2_w"].T)
        layer.linear2.bias.copy_(p[prefix + "_ff2_b"])
        for n, norm in (("ln1", layer.norm1), ("ln2", layer.norm2)):
            norm.weight.copy_(p[f"{prefix}_{n}_gamma"])
            norm.bias.copy_(p[f"{prefix}_{n}_beta"])
    return layer


def encoder_grads(layer, prefix):
    """The gradients of `layer`'s weights under Adjoint's names."""
    attn, d = layer.self_attn, layer.linear1.in_features
    g = {}
    for i, w in enumerate("qkv"):
        g[f"{prefix}_attn_w{w}"] = attn.in_proj_weight.grad[i * d:(i + 1) * d].T
        g[f"{prefix}_attn_b{w}"] = attn.in_proj_bias.grad[i * d:(i + 1) * d]
    g[prefix + "_attn_wo"] = attn.out_proj.weight.grad.T
    g[prefix + "_attn_bo"] = attn.out_proj.bias.grad
    g[prefix + "_ff1_w"] = layer.linear1.weight.grad.T
    g[prefix + "_ff1_b"] = layer.linear1.bias.grad
    g[prefix + "_ff2_w"] = layer.linear2.weight.grad.T
    g[prefix + "_ff2_b"] = layer.linear2.bias.grad
    for n, norm in (("ln1", layer.norm1), ("ln2", layer.norm2)):
        g[f"{prefix}_{n}_gamma"] = norm.weight.grad
        g[f"{prefix}_{n}_beta"] = norm.bias.grad
    return g


def transformer(p, x):
    """Returns the logits and a function giving every gradient by name."""
    layers = [encoder_layer(p, e) for e in ("enc1", "enc2")]
    h = x.reshape(-1, 28, 28) @ p["embed_w"] + p["embed_b"] + p["pos_table"]
    for layer in layers:
        h = layer(h)
    logits = h.mean(dim=1) @ p["head_w"] + p["head_b"]

    def grads():
        g = {k: v.grad for k, v in p.items() if v.grad is not None}
        for e, layer in zip(("enc1", "enc2"), layers):
            g.update(encoder_grads(layer, e))
        return g
    return logits, grads


def causal_prenorm(p, x):
    """layers_model's network: one encoder layer, layer norm first, ReLU,
    position t attending to positions <= t."""
    layer = encoder_layer(p, "enc", heads=2, activation="relu",
                          norm_first=True)
    t = x.shape[1]
    mask = torch.triu(torch.full((t, t), float("-inf"), dtype=torch.float64),
                      diagonal=1)
    h = layer(x, src_mask=mask)
    logits = h.mean(dim=1) @ p["head_w"] + p["head_b"]

    def grads():
        g = {k: v.grad for k, v in p.items() if v.grad is not None}
        g.update(encoder_grads(layer, "enc"))
        return g
    return logits, grads


def torch_rnn(p, cls, prefix, x, units, mods):
    """PyTorch's cls (nn.LSTM, nn.GRU, nn.RNN), bidirectional, batch first,
    with the weights of Adjoint's layer PREFIX: w, u, bx, bh are
    weight_ih_l0 and weight_hh_l0 transposed, bias_ih_l0 and bias_hh_l0
    (ir/Recurrent.h), PREFIX_reverse_* the _reverse ones."""
    m = cls(x.shape[2], units, batch_first=True, bidirectional=True).double()
    with torch.no_grad():
        for ours, theirs in (("", ""), ("_reverse", "_reverse")):
            getattr(m, "weight_ih_l0" + theirs).copy_(p[prefix + ours + "_w"].t())
            getattr(m, "weight_hh_l0" + theirs).copy_(p[prefix + ours + "_u"].t())
            getattr(m, "bias_ih_l0" + theirs).copy_(p[prefix + ours + "_bx"])
            getattr(m, "bias_hh_l0" + theirs).copy_(p[prefix + ours + "_bh"])
    mods.append((m, prefix))
    return m(x)


def rnn_grads(p, mods):
    g = {k: v.grad for k, v in p.items() if v.grad is not None}
    for m, prefix in mods:
        for ours in ("", "_reverse"):
            if not hasattr(m, "weight_ih_l0" + ours):
                continue
            g[prefix + ours + "_w"] = getattr(m, "weight_ih_l0" + ours).grad.t()
            g[prefix + ours + "_u"] = getattr(m, "weight_hh_l0" + ours).grad.t()
            g[prefix + ours + "_bx"] = getattr(m, "bias_ih_l0" + ours).grad
            g[prefix + ours + "_bh"] = getattr(m, "bias_hh_l0" + ours).grad
    return g


def recurrent(p, x):
    """layers_model's bidirectional LSTM, GRU and simple RNN."""
    mods = []
    h, _ = torch_rnn(p, torch.nn.LSTM, "lstm", x, 6, mods)
    h, _ = torch_rnn(p, torch.nn.GRU, "gru", h, 5, mods)
    _, hn = torch_rnn(p, torch.nn.RNN, "rnn", h, 4, mods)
    logits = torch.cat([hn[0], hn[1]], dim=1) @ p["head_w"] + p["head_b"]
    return logits, lambda: rnn_grads(p, mods)


def lstm_long(p, x):
    """layers_model's LSTM over 1024 steps."""
    m = torch.nn.LSTM(x.shape[2], 8, batch_first=True).double()
    with torch.no_grad():
        m.weight_ih_l0.copy_(p["lstm_w"].t())
        m.weight_hh_l0.copy_(p["lstm_u"].t())
        m.bias_ih_l0.copy_(p["lstm_bx"])
        m.bias_hh_l0.copy_(p["lstm_bh"])
    _, (hn, _) = m(x)
    logits = hn[0] @ p["head_w"] + p["head_b"]
    return logits, lambda: rnn_grads(p, [(m, "lstm")])


MODELS = {
    "fashion_mlp": (mlp, (32, 784)),
    "fashion_cnn": (cnn, (64, 1, 28, 28)),
    "fashion_transformer": (transformer, (64, 784)),
    "layers_causal_prenorm": (causal_prenorm, (8, 6, 16)),
    "layers_recurrent": (recurrent, (4, 7, 5)),
    "layers_lstm_long": (lstm_long, (2, 1024, 3)),
}

# The models tests/cross_check/layers_model writes.
LAYERS_MODELS = ("layers_causal_prenorm", "layers_recurrent", "layers_lstm_long")


def run(*args):
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{r.stdout}{r.stderr}")
    return r.stdout


def compare(what, got, want, floor=1e-30):
    """Prints one line; returns whether `got` matches `want` within RTOL of
    the largest magnitude of `want`, or of `floor` if that is larger (a
    tensor that is 0 in exact arithmetic is rounding noise of its model)."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        print(f"FAIL {what}: shape {got.shape}, expected {want.shape}")
        return False
    if got.size == 0:
        print(f"ok   {what}: nothing to compare")
        return True
    scale = max(float(np.max(np.abs(want))), floor)
    err = float(np.max(np.abs(got - want))) / scale if got.size else 0.0
    ok = err <= RTOL
    print(f"{'ok  ' if ok else 'FAIL'} {what}: max error {err:.2e} of {scale:.3g}")
    return ok


def torch_params(params):
    return {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in params.items()
    }


def check_model(name, args):
    forward, x_shape = MODELS[name]
    work = os.path.join(args.workdir, name)
    os.makedirs(work, exist_ok=True)
    source = os.path.join(args.examples, name + ".pbtxt")
    if name in LAYERS_MODELS:
        source = os.path.join(work, name + ".pbtxt")
        run(args.layers_model, name, source)
    literal = os.path.join(work, "model.pbtxt")
    run(args.adjoint, "convert", source, "-o", literal, "--materialize")
    params = load_params(args.pb2_dir, literal)

    rng = np.random.default_rng(7)
    x = rng.random(x_shape, dtype=np.float32)
    y = rng.integers(0, 10, size=x_shape[0]).astype(np.int64)
    data = os.path.join(work, "data")
    os.makedirs(data, exist_ok=True)
    np.save(os.path.join(data, "x.npy"), x)
    np.save(os.path.join(data, "y.npy"), y)

    # The reference: loss and gradients in float64.
    tp = torch_params(params)
    xt = torch.tensor(x, dtype=torch.float64)
    yt = torch.tensor(y)
    result = forward(tp, xt)
    logits, grads = result if isinstance(result, tuple) else (result, None)
    loss = F.cross_entropy(logits, yt)
    loss.backward()
    want = grads() if grads else {k: v.grad for k, v in tp.items()}

    # Adjoint's gradient model on the same batch.
    grad = os.path.join(work, "grad.pbtxt")
    out = os.path.join(work, "out")
    run(args.adjoint, "grad", source, "-o", grad)
    run(args.adjoint, "run", grad, "-i", "x=" + os.path.join(data, "x.npy"),
        "-i", "y=" + os.path.join(data, "y.npy"), "-o", out)
    ok = compare(f"{name} loss", np.load(os.path.join(out, "loss.npy")),
                 loss.item())
    noise = ZERO_GRAD_SCALE * max(float(want[p].abs().max()) for p in params)
    for p in params:
        got = np.load(os.path.join(out, f"grad.{p}.npy"))
        ok &= compare(f"{name} grad.{p}", got, want[p].detach().numpy(),
                      noise)

    # One Adam step: Adjoint's training step against torch.optim.Adam.
    trained = os.path.join(work, "trained.pbtxt")
    stepped = os.path.join(work, "stepped.pbtxt")
    run(args.adjoint, "train", source, "--data", data, "--epochs", "1",
        "--limit", str(x_shape[0]), "--optimizer", "adam", "--lr", "0.001",
        "--threads", "1", "-o", trained)
    run(args.adjoint, "convert", trained, "-o", stepped, "--materialize")
    after = load_params(args.pb2_dir, stepped)
    # Adam's first step moves each weight by about lr * g / (|g| + eps):
    # where g is within rounding of 0, float32 and float64 gradients give
    # different steps. So torch's Adam steps with Adjoint's gradients (checked
    # above); this compares the update rule, bias correction included.
    tp = torch_params(params)
    adam = torch.optim.Adam(tp.values(), lr=1e-3, eps=1e-7)
    for p in params:
        tp[p].grad = torch.tensor(
            np.load(os.path.join(out, f"grad.{p}.npy")), dtype=torch.float64)
    adam.step()
    # The scale of the gradients of the whole model: a parameter whose
    # gradient is 0 in exact arithmetic (the key bias of attention, which
    # softmax cancels) has only rounding noise, which Adam's first step
    # turns into steps of +-lr either way.
    largest = max(float(np.abs(tp[p].grad.numpy()).max()) for p in params)
    for p in params:
        want = tp[p].detach().numpy()
        # Where g is within float32 rounding of 0 (|g| below 1e-5 of the
        # largest, of this parameter or of the model), the step
        # lr * g / (|g| + eps) is decided by rounding: the training step and
        # the gradient model, compiled separately, may round such a g
        # differently. Those elements are left out.
        g = tp[p].grad.numpy()
        decided = np.abs(g) > GRAD_NOISE * max(float(np.abs(g).max()), 1e-30)
        decided &= np.abs(g) > GRAD_NOISE * largest
        ok &= compare(f"{name} adam step {p}", after[p][decided],
                      want[decided])
        # The step itself, so that a missing update cannot pass.
        moved = np.abs(after[p] - params[p]).max()
        if moved == 0 and np.abs(want - params[p]).max() > 0 and decided.any():
            print(f"FAIL {name} adam step {p}: the parameter did not move")
            ok = False
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adjoint", required=True)
    parser.add_argument("--pb2-dir", required=True)
    parser.add_argument("--examples", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--models",
                        default="fashion_mlp,fashion_cnn,fashion_transformer")
    parser.add_argument("--layers-model",
                        help="tests/cross_check/layers_model, which writes "
                             "the layers_* models to check too")
    args = parser.parse_args()
    if args.layers_model:
        args.models += "," + ",".join(LAYERS_MODELS)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}")
    ok = True
    for name in args.models.split(","):
        ok &= check_model(name, args)
    print("all agree" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
