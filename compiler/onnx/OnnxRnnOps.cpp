//===- OnnxRnnOps.cpp - ONNX LSTM, GRU and RNN as scans -------------------===//
//
// A recurrent op becomes one matmul of the whole sequence with the input
// weights, then, for each direction, one `scan` whose body is a step: a
// matmul with the recurrent weights and the gate functions. The graph has
// the same few nodes whatever the sequence length.
//
//===----------------------------------------------------------------------===//
#include "compiler/onnx/OnnxContext.h"

#include "ir/Error.h"

#include <onnx/onnx_pb.h>

namespace adjoint::onnximport {

namespace {

enum class Cell { Rnn, Gru, Lstm };

/// One of ONNX's recurrent activation functions.
struct Activation {
  std::string name;
  double alpha = 0, beta = 0;
};

Value *activate(Builder &b, Value *x, const Activation &a) {
  auto s = [&](double v) { return b.scalar(x->type().dtype, v); };
  const std::string &n = a.name;
  if (n == "Sigmoid")
    return b.sigmoid(x);
  if (n == "Tanh")
    return b.tanh(x);
  if (n == "Relu")
    return b.relu(x);
  if (n == "Affine")
    return b.add(b.mul(x, s(a.alpha)), s(a.beta));
  if (n == "LeakyRelu")
    return b.select(b.less(x, s(0)), b.mul(x, s(a.alpha)), x);
  if (n == "ThresholdedRelu")
    return b.select(b.greater(x, s(a.alpha)), x, s(0));
  if (n == "ScaledTanh")
    return b.mul(b.tanh(b.mul(x, s(a.beta))), s(a.alpha));
  if (n == "HardSigmoid")
    return b.minimum(b.maximum(b.add(b.mul(x, s(a.alpha)), s(a.beta)), s(0)),
                     s(1));
  if (n == "Elu")
    return b.select(b.less(x, s(0)), b.mul(b.sub(b.exp(x), s(1)), s(a.alpha)),
                    x);
  if (n == "Softsign")
    return b.div(x, b.add(b.abs(x), s(1)));
  if (n == "Softplus")
    return b.log(b.add(b.exp(x), s(1)));
  unsupported("activation '" + n + "'");
}

/// Reads `activations` with their alphas and betas; `defaults` per direction.
std::vector<Activation> readActivations(NodeContext &c,
                                        std::vector<std::string> defaults,
                                        int64_t directions) {
  std::vector<std::string> names;
  for (const auto &a : c.node().attribute())
    if (a.name() == "activations")
      for (const auto &s : a.strings())
        names.push_back(s);
  c.ignore("activations");
  std::vector<double> alphas = c.attrFloats("activation_alpha");
  std::vector<double> betas = c.attrFloats("activation_beta");
  if (names.empty())
    for (int64_t d = 0; d < directions; ++d)
      names.insert(names.end(), defaults.begin(), defaults.end());
  if (names.size() != defaults.size() * (size_t)directions)
    unsupported("activations: wrong count");
  std::vector<Activation> out;
  size_t ia = 0, ib = 0;
  for (const std::string &n : names) {
    Activation a{n};
    bool takesAlpha = n == "Affine" || n == "LeakyRelu" ||
                      n == "ThresholdedRelu" || n == "ScaledTanh" ||
                      n == "HardSigmoid" || n == "Elu";
    bool takesBeta = n == "Affine" || n == "ScaledTanh" || n == "HardSigmoid";
    double defAlpha = n == "LeakyRelu" ? 0.01 : n == "HardSigmoid" ? 0.2 : 1.0;
    double defBeta = n == "HardSigmoid" ? 0.5 : 0.0;
    a.alpha = takesAlpha ? (ia < alphas.size() ? alphas[ia++] : defAlpha) : 0;
    a.beta = takesBeta ? (ib < betas.size() ? betas[ib++] : defBeta) : 0;
    out.push_back(a);
  }
  return out;
}

/// Row `d` of a [D, ...] tensor as [...].
Value *direction(Builder &b, Value *v, int64_t d) {
  Shape s(shapeOf(v).begin() + 1, shapeOf(v).end());
  return b.reshape(b.slice(v, {d}, {d + 1}, {0}), s);
}

/// Columns [k * h, (k + 1) * h) of a [B, G * h] tensor.
Value *gate(Builder &b, Value *v, int64_t k, int64_t h) {
  return b.slice(v, {k * h}, {(k + 1) * h}, {1});
}

Converter recurrent(Cell cell) {
  return [cell](NodeContext &c) {
    Builder &b = c.b();
    int64_t gates = cell == Cell::Lstm ? 4 : cell == Cell::Gru ? 3 : 1;
    Value *x = c.input(0), *w = c.input(1), *r = c.input(2);
    requireFloat(x, c.opType());
    // W and R are [directions, gates * hidden, ...]: checked before their
    // extents are read (a scalar R was found by fuzz_LoadOnnx).
    if (rankOf(w) != 3 || rankOf(r) != 3)
      unsupported("W and R must be 3-D");
    DType dt = x->type().dtype;
    auto s = [&](double v) { return b.scalar(dt, v); };
    std::string dir = c.attrString("direction", "forward");
    if (dir != "forward" && dir != "reverse" && dir != "bidirectional")
      unsupported("direction '" + dir + "'");
    int64_t dirs = dir == "bidirectional" ? 2 : 1;
    int64_t layout = c.attrInt("layout", 0);
    int64_t hidden = c.attrInt("hidden_size", shapeOf(r).back());
    if (hidden != shapeOf(r).back())
      unsupported(strCat("hidden_size ", hidden, " with R of shape ",
                         shapeStr(shapeOf(r))));
    double clip = c.attrFloat("clip", 0);
    bool hasClip = c.has("clip");
    bool beforeReset = c.attrInt("linear_before_reset", 0) != 0;
    if (cell == Cell::Lstm && c.attrInt("input_forget", 0))
      unsupported("input_forget 1");
    std::vector<std::string> defaults =
        cell == Cell::Lstm ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
        : cell == Cell::Gru ? std::vector<std::string>{"Sigmoid", "Tanh"}
                            : std::vector<std::string>{"Tanh"};
    std::vector<Activation> acts = readActivations(c, defaults, dirs);
    if (rankOf(x) != 3)
      unsupported("an input that is not 3-D");
    if (layout)
      x = b.transpose(x, {1, 0, 2});
    int64_t steps = shapeOf(x)[0], batch = shapeOf(x)[1];
    // Every operand's shape before any of its extents is read (a scalar
    // B was found by fuzz_LoadOnnx).
    auto expect = [&](size_t i, const char *name, Shape want, bool batchMajor) {
      if (!c.hasInput(i))
        return;
      if (batchMajor && layout && want.size() == 3)
        std::swap(want[0], want[1]);
      const Shape &got = shapeOf(c.input(i));
      if (got != want)
        unsupported(strCat(name, " of shape ", shapeStr(got), ", expected ",
                           shapeStr(want)));
    };
    int64_t inputSize = shapeOf(x)[2];
    expect(1, "W", {dirs, gates * hidden, inputSize}, false);
    expect(2, "R", {dirs, gates * hidden, hidden}, false);
    expect(3, "B", {dirs, 2 * gates * hidden}, false);
    expect(5, "initial_h", {dirs, batch, hidden}, true);
    if (cell == Cell::Lstm) {
      expect(6, "initial_c", {dirs, batch, hidden}, true);
      expect(7, "P", {dirs, 3 * hidden}, false);
    }
    if (c.hasInput(4)) {
      std::vector<int64_t> lens = c.staticInts(4, "sequence_lens");
      for (int64_t l : lens)
        if (l != steps)
          unsupported("sequence_lens shorter than the sequence");
    }
    auto initial = [&](size_t i) -> Value * {
      if (!c.hasInput(i))
        return nullptr;
      Value *v = c.input(i);
      return layout ? b.transpose(v, {1, 0, 2}) : v;
    };
    Value *h0 = initial(5);
    Value *c0 = cell == Cell::Lstm ? initial(6) : nullptr;
    Value *peep = cell == Cell::Lstm && c.hasInput(7) ? c.input(7) : nullptr;
    Value *bias = c.hasInput(3) ? c.input(3) : nullptr;
    if (!steps)
      unsupported("an empty sequence");
    Value *zeros = b.broadcastTo(s(0), {batch, hidden});

    std::vector<Value *> ys(dirs), yh(dirs), yc(dirs);
    for (int64_t d = 0; d < dirs; ++d) {
      bool reverse = dir == "reverse" || d == 1;
      const Activation *act = &acts[(size_t)d * defaults.size()];
      Value *wd = b.transpose(direction(b, w, d)); // [I, G*h]
      Value *rd = b.transpose(direction(b, r, d)); // [h, G*h]
      // The input projection of every step at once: [S, B, G*h].
      Value *xw = b.matmul(x, wd);
      Value *rb = nullptr;
      if (bias) {
        Value *bd = direction(b, bias, d); // [2*G*h]
        Value *wb = b.slice(bd, {0}, {gates * hidden});
        rb = b.slice(bd, {gates * hidden}, {2 * gates * hidden});
        xw = cell == Cell::Gru && beforeReset ? b.add(xw, wb)
                                              : b.add(xw, b.add(wb, rb));
      }
      Value *h = h0 ? direction(b, h0, d) : zeros;
      Value *cs = c0 ? direction(b, c0, d) : zeros;
      Value *pd = peep ? direction(b, peep, d) : nullptr;

      // One scan over the steps: its state is h, or h and c side by side;
      // its invariants the recurrent weights (and biases, peepholes).
      std::vector<Value *> invariants = {rd};
      if (cell == Cell::Gru && beforeReset && rb)
        invariants.push_back(rb);
      if (pd)
        invariants.push_back(pd);
      Value *init = cell == Cell::Lstm ? b.concat({h, cs}, 1) : h;
      auto body = std::make_shared<Graph>(c.opType() + "_step");
      Builder bb(*body);
      auto bs = [&](double v) { return bb.scalar(dt, v); };
      auto clipped = [&](Value *v) {
        return hasClip ? bb.minimum(bb.maximum(v, bs(-clip)), bs(clip)) : v;
      };
      Value *state = bb.input("state", init->type());
      Value *xt = bb.input("x", {dt, {batch, gates * hidden}});
      Value *rdIn = bb.input("r", rd->type());
      Value *rbIn = cell == Cell::Gru && beforeReset && rb
                        ? bb.input("rb", rb->type())
                        : nullptr;
      Value *pdIn = pd ? bb.input("p", pd->type()) : nullptr;
      Value *hIn = cell == Cell::Lstm ? gate(bb, state, 0, hidden) : state;
      Value *next;
      if (cell == Cell::Rnn) {
        next = activate(bb, clipped(bb.add(xt, bb.matmul(hIn, rdIn))), act[0]);
      } else if (cell == Cell::Lstm) {
        Value *csIn = gate(bb, state, 1, hidden);
        Value *g = bb.add(xt, bb.matmul(hIn, rdIn));
        Value *gi = gate(bb, g, 0, hidden), *go = gate(bb, g, 1, hidden),
              *gf = gate(bb, g, 2, hidden), *gc = gate(bb, g, 3, hidden);
        if (pdIn) {
          gi = bb.add(gi, bb.mul(bb.slice(pdIn, {0}, {hidden}), csIn));
          gf = bb.add(gf,
                      bb.mul(bb.slice(pdIn, {2 * hidden}, {3 * hidden}), csIn));
        }
        Value *it = activate(bb, clipped(gi), act[0]);
        Value *ft = activate(bb, clipped(gf), act[0]);
        Value *ct = activate(bb, clipped(gc), act[1]);
        Value *c2 = bb.add(bb.mul(ft, csIn), bb.mul(it, ct));
        if (pdIn)
          go = bb.add(go, bb.mul(bb.slice(pdIn, {hidden}, {2 * hidden}), c2));
        Value *ot = activate(bb, clipped(go), act[0]);
        next = bb.concat({bb.mul(ot, activate(bb, c2, act[2])), c2}, 1);
      } else {
        // With the linear transformation before the reset (PyTorch's
        // export), all three gates' recurrent products are one matmul of
        // h, [h, 3h], and their bias one add; otherwise the candidate's
        // product reads r * h, and z and r take a product of their own.
        Value *hAll = nullptr, *hzr;
        if (beforeReset) {
          hAll = bb.matmul(hIn, rdIn);
          if (rbIn)
            hAll = bb.add(hAll, rbIn);
          hzr = bb.slice(hAll, {0}, {2 * hidden}, {1});
        } else {
          hzr = bb.matmul(hIn, bb.slice(rdIn, {0}, {2 * hidden}, {1}));
        }
        Value *gzr = bb.add(bb.slice(xt, {0}, {2 * hidden}, {1}), hzr);
        Value *zt = activate(bb, clipped(gate(bb, gzr, 0, hidden)), act[0]);
        Value *rt = activate(bb, clipped(gate(bb, gzr, 1, hidden)), act[0]);
        Value *xh = gate(bb, xt, 2, hidden), *hh;
        if (beforeReset)
          hh = bb.add(xh, bb.mul(rt, gate(bb, hAll, 2, hidden)));
        else
          hh = bb.add(
              xh, bb.matmul(bb.mul(rt, hIn),
                            bb.slice(rdIn, {2 * hidden}, {3 * hidden}, {1})));
        Value *ht = activate(bb, clipped(hh), act[1]);
        next = bb.add(bb.mul(bb.sub(bs(1), zt), ht), bb.mul(zt, hIn));
      }
      bb.output("next", next);
      Attributes a;
      a.set("body", SubGraph(body));
      a.set("reverse", reverse);
      std::vector<Value *> operands = {init, xw};
      operands.insert(operands.end(), invariants.begin(), invariants.end());
      Value *states = b.op(OpKind::Scan, operands, std::move(a));
      // Rows are in time order in either direction; the final state is the
      // row of the last step taken.
      int64_t last = reverse ? 0 : steps - 1;
      Value *lastState = b.slice(states, {last}, {last + 1}, {0});
      auto part = [&](Value *v, int64_t k) {
        return cell == Cell::Lstm
                   ? b.slice(v, {k * hidden}, {(k + 1) * hidden}, {2})
                   : v;
      };
      ys[d] = b.reshape(part(states, 0), {steps, 1, batch, hidden});
      yh[d] = b.reshape(part(lastState, 0), {1, batch, hidden});
      yc[d] = b.reshape(part(lastState, 1), {1, batch, hidden});
    }
    if (c.hasOutput(0)) {
      Value *y = dirs == 1 ? ys[0] : b.concat(ys, 1); // [S, D, B, h]
      c.setOutput(0, layout ? b.transpose(y, {2, 0, 1, 3}) : y);
    }
    auto finalState = [&](std::vector<Value *> &v) {
      Value *s = dirs == 1 ? v[0] : b.concat(v, 0); // [D, B, h]
      return layout ? b.transpose(s, {1, 0, 2}) : s;
    };
    if (c.hasOutput(1))
      c.setOutput(1, finalState(yh));
    if (cell == Cell::Lstm && c.hasOutput(2))
      c.setOutput(2, finalState(yc));
  };
}

} // namespace

void addRnnConverters(ConverterTable &t) {
  t["RNN"] = recurrent(Cell::Rnn);
  t["GRU"] = recurrent(Cell::Gru);
  t["LSTM"] = recurrent(Cell::Lstm);
}

} // namespace adjoint::onnximport
