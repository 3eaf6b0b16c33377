//===- RandomFusionGraph.cpp - Random graphs that fusion can group --------===//
#include "tests/support/RandomFusionGraph.h"

#include "ir/Builder.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <random>
#include <string>

namespace adjoint::testing {

namespace {

class Generator {
public:
  explicit Generator(uint64_t seed) : rng_(seed * 7919 + 17) {}

  Graph build() {
    Graph g("fusion");
    Builder b(g);
    dtype_ = pick(5) == 0 ? DType::F64 : DType::F32;
    size_t rank = pick(5);
    for (size_t d = 0; d < rank; ++d)
      base_.push_back(1 + (int64_t)pick(6));
    int steps = 3 + (int)pick(12);
    for (int i = 0; i < 2 + (int)pick(2); ++i)
      pool_.push_back(b.input("x" + std::to_string(i), {dtype_, subShape()}));
    for (int i = 0; i < steps; ++i)
      pool_.push_back(step(b));
    std::vector<Value *> outs = {pool_.back()};
    for (int i = 0; i < (int)pick(3); ++i)
      outs.push_back(pool_[pick(pool_.size())]);
    for (size_t i = 0; i < outs.size(); ++i)
      b.output("y" + std::to_string(i), outs[i]);
    return g;
  }

private:
  std::mt19937_64 rng_;
  DType dtype_ = DType::F32;
  Shape base_;
  std::vector<Value *> pool_;
  int inputs_ = 3;

  size_t pick(size_t n) { return (size_t)(rng_() % n); }

  static Value *reduce(Builder &b, OpKind op, Value *x,
                       std::optional<std::vector<int64_t>> axes,
                       bool keepdims) {
    if (op == OpKind::ReduceMax)
      return b.reduceMax(x, axes, keepdims);
    if (op == OpKind::ReduceMin)
      return b.reduceMin(x, axes, keepdims);
    return b.reduceSum(x, axes, keepdims);
  }

  /// A shape that broadcasts to the base: a suffix, some extents set to 1.
  Shape subShape() {
    size_t drop = pick(3) == 0 ? pick(base_.size() + 1) : 0;
    Shape s(base_.begin() + drop, base_.end());
    for (int64_t &d : s)
      if (pick(4) == 0)
        d = 1;
    return s;
  }

  Value *any() {
    // Recent values more often, so that chains grow long.
    size_t n = pool_.size();
    return pick(2) ? pool_[n - 1 - pick(std::min<size_t>(n, 3))]
                   : pool_[pick(n)];
  }

  Value *newInput(Builder &b, Shape shape) {
    return b.input("x" + std::to_string(inputs_++), {dtype_, shape});
  }

  Value *step(Builder &b) {
    Value *x = any();
    size_t rank = x->type().shape.size();
    switch (pick(21)) {
    case 19: {
      // A matmul of inputs whose product has the base shape, and its
      // epilogue.
      if (base_.size() != 2)
        return b.relu(x);
      int64_t k = 1 + (int64_t)pick(9);
      Value *mm =
          b.matmul(newInput(b, {base_[0], k}), newInput(b, {k, base_[1]}));
      return pick(2) ? b.relu(b.add(mm, x)) : b.mul(x, mm);
    }
    case 20: {
      // A conv2d of inputs whose result has the base shape.
      if (base_.size() != 4)
        return b.neg(x);
      int64_t c = 1 + (int64_t)pick(3);
      Value *in = newInput(b, {base_[0], c, base_[2] + 2, base_[3] + 2});
      Value *w = newInput(b, {base_[1], c, 3, 3});
      return b.relu(b.add(b.conv2d(in, w), x));
    }
    case 16:
      return rank == 0 ? b.neg(x) : b.softmax(x, -1);
    case 17:
      return rank == 0 ? b.abs(x) : b.logSoftmax(x, (int64_t)pick(rank));
    case 18: {
      // Normalization over the trailing axes: (x - mean) / sqrt(var + eps).
      if (rank < 2)
        return b.sub(x, any());
      std::vector<int64_t> axes;
      for (size_t d = 1 + pick(rank - 1); d < rank; ++d)
        axes.push_back((int64_t)d);
      Value *mean = b.reduceMean(x, axes, true);
      Value *d = b.sub(x, mean);
      Value *var = b.reduceMean(b.mul(d, d), axes, true);
      return b.div(d, b.sqrt(b.add(var, b.scalar(dtype_, 1e-3))));
    }
    case 0:
      return b.neg(x);
    case 1:
      return b.exp(b.tanh(x));
    case 2:
      return b.sigmoid(x);
    case 3:
      return b.sqrt(b.abs(x));
    case 4:
      return b.log(b.add(b.abs(x), b.scalar(dtype_, 1)));
    case 5:
      return b.add(x, any());
    case 6:
      return b.mul(x, any());
    case 7:
      return b.sub(any(), x);
    case 8:
      return b.div(x, b.add(b.abs(any()), b.scalar(dtype_, 0.5)));
    case 9:
      return pick(2) ? b.maximum(x, any()) : b.relu(b.minimum(any(), x));
    case 10:
      return b.select(b.less(x, any()), any(), x);
    case 11: {
      // Through an integer: rounds towards zero, then back.
      Value *i = b.cast(b.mul(x, b.scalar(dtype_, 3)), DType::I32);
      return b.cast(b.add(i, b.scalar(DType::I32, 1)), dtype_);
    }
    case 12: {
      OpKind op = pick(3) == 0   ? OpKind::ReduceMax
                  : pick(2) == 0 ? OpKind::ReduceMin
                                 : OpKind::ReduceSum;
      if (rank == 0)
        return reduce(b, op, x, std::nullopt, false);
      std::vector<int64_t> axes;
      bool leading = pick(2);
      size_t count = 1 + pick(rank);
      for (size_t d = 0; d < rank; ++d)
        if (leading ? d < count : pick(2))
          axes.push_back((int64_t)d);
      if (axes.empty())
        axes.push_back((int64_t)rank - 1);
      Value *r = reduce(b, op, x, axes, !leading);
      return pick(2) ? b.mul(r, any()) : r;
    }
    case 13: {
      // A computed value transposed, changed and transposed back.
      if (rank < 2)
        return b.broadcastTo(x, base_);
      std::vector<int64_t> perm(rank), inv(rank);
      std::iota(perm.begin(), perm.end(), 0);
      std::shuffle(perm.begin(), perm.end(), rng_);
      for (size_t d = 0; d < rank; ++d)
        inv[perm[d]] = (int64_t)d;
      Value *t = b.neg(b.transpose(b.exp(b.neg(b.abs(x))), perm));
      return b.transpose(b.add(t, t), inv);
    }
    case 14: {
      // A computed value reversed along one axis.
      if (rank == 0)
        return b.mul(x, x);
      int64_t axis = (int64_t)pick(rank);
      int64_t n = x->type().shape[axis];
      return b.add(b.slice(b.mul(x, b.scalar(dtype_, 2)), {n - 1}, {-n - 1},
                           {axis}, {-1}),
                   x);
    }
    default: {
      // An input read through a transpose, a strided slice or a reshape.
      Shape s = subShape();
      size_t r = s.size();
      switch (pick(3)) {
      case 0: {
        if (r < 2)
          return b.add(x, newInput(b, s));
        Shape t(s.rbegin(), s.rend());
        return b.add(x, b.transpose(newInput(b, t)));
      }
      case 1: {
        if (r == 0)
          return b.sub(x, newInput(b, s));
        Shape big = s;
        big[0] = s[0] * 2 + 1;
        return b.mul(x, b.slice(newInput(b, big), {1}, {big[0]}, {0}, {2}));
      }
      default: {
        int64_t n = 1;
        for (int64_t d : s)
          n *= d;
        return b.add(b.reshape(newInput(b, {n}), s), x);
      }
      }
    }
    }
  }
};

} // namespace

Graph randomFusionGraph(uint64_t seed) { return Generator(seed).build(); }

} // namespace adjoint::testing
