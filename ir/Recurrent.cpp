//===- Recurrent.cpp - RNN, LSTM and GRU layers as scans ------------------===//
#include "ir/Recurrent.h"

#include "ir/Error.h"
#include "ir/SymbolicDim.h"

#include <cmath>
#include <memory>

namespace adjoint {

namespace {

enum class Cell { Rnn, Lstm, Gru };

const char *cellName(Cell cell) {
  switch (cell) {
  case Cell::Rnn:
    return "simpleRnn";
  case Cell::Lstm:
    return "lstm";
  case Cell::Gru:
    return "gru";
  }
  __builtin_unreachable();
}

int64_t gateCount(Cell cell) {
  return cell == Cell::Lstm ? 4 : cell == Cell::Gru ? 3 : 1;
}

/// Columns [k*u, (k+1)*u) of v [N, G*u]: gate k.
Value *gate(Builder &b, Value *v, int64_t k, int64_t u) {
  return b.slice(v, {k * u}, {(k + 1) * u}, {1});
}

/// The body of one step: (state, xp_t, u, bh) -> next state, where xp_t is
/// the step's input projection x_t @ w + bx.
SubGraph stepBody(Cell cell, const TensorType &state, const TensorType &xp,
                  const TensorType &u, bool relu, const std::string &name) {
  auto g = std::make_shared<Graph>(name);
  Builder b(*g);
  Value *s = b.input("state", state);
  Value *x = b.input("xp", xp);
  Value *w = b.input("u", u);
  Value *bh = b.input("bh", {u.dtype, {u.shape[1]}});
  int64_t units = u.shape[0];
  Value *next = nullptr;
  switch (cell) {
  case Cell::Rnn: {
    Value *pre = b.add(b.add(x, b.matmul(s, w)), bh);
    next = relu ? b.relu(pre) : b.tanh(pre);
    break;
  }
  case Cell::Lstm: {
    Value *h = gate(b, s, 0, units), *c = gate(b, s, 1, units);
    Value *gates = b.add(b.add(x, b.matmul(h, w)), bh);
    Value *i = b.sigmoid(gate(b, gates, 0, units));
    Value *f = b.sigmoid(gate(b, gates, 1, units));
    Value *cand = b.tanh(gate(b, gates, 2, units));
    Value *o = b.sigmoid(gate(b, gates, 3, units));
    Value *c2 = b.add(b.mul(f, c), b.mul(i, cand));
    Value *h2 = b.mul(o, b.tanh(c2));
    next = b.concat({h2, c2}, 1);
    break;
  }
  case Cell::Gru: {
    Value *gh = b.add(b.matmul(s, w), bh);
    Value *r = b.sigmoid(b.add(gate(b, x, 0, units), gate(b, gh, 0, units)));
    Value *z = b.sigmoid(b.add(gate(b, x, 1, units), gate(b, gh, 1, units)));
    Value *n =
        b.tanh(b.add(gate(b, x, 2, units), b.mul(r, gate(b, gh, 2, units))));
    // (1 - z) * n + z * h
    next = b.add(n, b.mul(z, b.sub(s, n)));
    break;
  }
  }
  b.output("next", next);
  return g;
}

/// The initial state `given` ([N, U], or direction `direction` of
/// [2, N, U]) or zeros.
Value *initialState(Builder &b, Value *given, const TensorType &want,
                    bool bidirectional, int direction, const char *layer,
                    const char *which) {
  if (!given)
    return b.broadcastTo(b.scalar(want.dtype, 0), want.shape);
  Shape shape = want.shape;
  if (bidirectional)
    shape.insert(shape.begin(), 2);
  if (given->type() != TensorType{want.dtype, shape})
    badInput(layer, ": the initial ", which, " state has type ",
             typeStr(given->type()), " but must be ",
             typeStr({want.dtype, shape}));
  if (!bidirectional)
    return given;
  Value *one = b.slice(given, {direction}, {direction + 1}, {0});
  return b.reshape(one, {-1, want.shape[1]});
}

/// One direction over xt [T, N, D]: the scan's states [T, N, S].
Value *direction(Builder &b, Cell cell, Value *xt, const std::string &prefix,
                 const RecurrentOptions &o, int dir) {
  const char *layer = cellName(cell);
  DType t = xt->type().dtype;
  int64_t d = xt->type().shape[2], n = xt->type().shape[1], u = o.units;
  int64_t g = gateCount(cell);
  double k = 1 / std::sqrt((double)u);
  uint64_t seed = o.seed + 4 * (uint64_t)dir;
  Value *w = b.param(prefix + "_w", {t, {d, g * u}}, uniformInit(seed, -k, k));
  Value *uw =
      b.param(prefix + "_u", {t, {u, g * u}}, uniformInit(seed + 1, -k, k));
  Value *bx =
      b.param(prefix + "_bx", {t, {g * u}}, uniformInit(seed + 2, -k, k));
  Value *bh =
      b.param(prefix + "_bh", {t, {g * u}}, uniformInit(seed + 3, -k, k));
  // Every step's input projection at once.
  Value *xp = b.add(b.matmul(xt, w), bx);

  TensorType hType{t, {n, u}};
  Value *state =
      initialState(b, o.initialH, hType, o.bidirectional, dir, layer, "hidden");
  if (cell == Cell::Lstm)
    state = b.concat({state, initialState(b, o.initialC, hType, o.bidirectional,
                                          dir, layer, "cell")},
                     1);
  else if (o.initialC)
    badInput(layer, ": only an LSTM has a cell state");
  Attributes a;
  a.set("body", stepBody(cell, state->type(), {t, {n, g * u}}, uw->type(),
                         o.relu, prefix + "_step"));
  a.set("reverse", dir == 1);
  if (o.recompute)
    a.set("recompute", true);
  return b.op(OpKind::Scan, {state, xp, uw, bh}, std::move(a));
}

Value *recurrent(Builder &b, Cell cell, Value *x, const std::string &prefix,
                 const RecurrentOptions &o) {
  const char *layer = cellName(cell);
  const TensorType &t = x->type();
  if (!isFloat(t.dtype) || t.rank() != 3 || isSymbolic(t.shape[1]) ||
      isSymbolic(t.shape[2]) || t.shape[1] < 1)
    badInput(layer,
             ": needs a float sequence [batch, time, features] with a static "
             "time (at least 1) and feature count, not ",
             typeStr(t));
  if (o.units < 1)
    badInput(layer, ": units must be positive, not ", o.units);
  if (o.relu && cell != Cell::Rnn)
    badInput(layer, ": only simpleRnn takes relu");
  int64_t steps = t.shape[1], u = o.units;
  Value *xt = b.transpose(x, {1, 0, 2});
  std::vector<Value *> outs;
  for (int dir = 0; dir < (o.bidirectional ? 2 : 1); ++dir) {
    Value *states =
        direction(b, cell, xt, dir ? prefix + "_reverse" : prefix, o, dir);
    if (cell == Cell::Lstm) // h of the (h, c) pairs
      states = b.slice(states, {0}, {u}, {2});
    if (o.returnSequences) {
      outs.push_back(b.transpose(states, {1, 0, 2}));
    } else {
      int64_t last = dir ? 0 : steps - 1;
      outs.push_back(
          b.reshape(b.slice(states, {last}, {last + 1}, {0}), {-1, u}));
    }
  }
  return outs.size() == 1 ? outs[0]
                          : b.concat(outs, (int64_t)outs[0]->type().rank() - 1);
}

} // namespace

Value *simpleRnn(Builder &b, Value *x, const std::string &prefix,
                 const RecurrentOptions &options) {
  return recurrent(b, Cell::Rnn, x, prefix, options);
}

Value *lstm(Builder &b, Value *x, const std::string &prefix,
            const RecurrentOptions &options) {
  return recurrent(b, Cell::Lstm, x, prefix, options);
}

Value *gru(Builder &b, Value *x, const std::string &prefix,
           const RecurrentOptions &options) {
  return recurrent(b, Cell::Gru, x, prefix, options);
}

} // namespace adjoint
