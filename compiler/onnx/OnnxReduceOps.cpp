//===- OnnxReduceOps.cpp - ONNX reductions, ArgMax and ArgMin -------------===//
#include "compiler/onnx/OnnxContext.h"

#include "ir/Error.h"

namespace adjoint::onnximport {

namespace {

/// Reductions with more than this extent are not unrolled (ReduceProd).
constexpr int64_t kMaxUnrolledProduct = 256;

enum class Reduce {
  Sum,
  Mean,
  Max,
  Min,
  Prod,
  L1,
  L2,
  SumSquare,
  LogSum,
  LogSumExp
};

Value *product(Builder &b, Value *x, std::vector<int64_t> axes) {
  for (int64_t a : axes) {
    int64_t d = shapeOf(x)[a];
    if (d > kMaxUnrolledProduct)
      unsupported(strCat("ReduceProd over an extent of ", d));
    if (d == 0) {
      Shape s = shapeOf(x);
      s[a] = 1;
      x = b.broadcastTo(b.scalar(x->type().dtype, 1), s);
      continue;
    }
    Value *acc = b.slice(x, {0}, {1}, {a});
    for (int64_t i = 1; i < d; ++i)
      acc = b.mul(acc, b.slice(x, {i}, {i + 1}, {a}));
    x = acc;
  }
  return x;
}

Converter reduction(Reduce kind) {
  return [kind](NodeContext &c) {
    Builder &b = c.b();
    Value *x = c.input(0);
    bool keep = c.attrInt("keepdims", 1) != 0;
    std::vector<int64_t> axes;
    bool noop = false;
    if (kind == Reduce::Sum && c.opset() >= 13) {
      if (c.hasInput(1))
        axes = c.staticInts(1, "axes");
      noop = c.attrInt("noop_with_empty_axes", 0) != 0;
    } else {
      axes = c.attrInts("axes");
    }
    if (axes.empty() && noop) {
      c.setOutput(0, x);
      return;
    }
    int64_t r = rankOf(x);
    if (axes.empty())
      for (int64_t i = 0; i < r; ++i)
        axes.push_back(i);
    for (int64_t &a : axes)
      a = normalizeAxis(a, r, "axis");
    std::optional<std::vector<int64_t>> ax = axes;
    Value *y = nullptr;
    switch (kind) {
    case Reduce::Sum:
      y = b.reduceSum(x, ax, keep);
      break;
    case Reduce::Mean:
      requireFloat(x, "ReduceMean");
      y = b.reduceMean(x, ax, keep);
      break;
    case Reduce::Max:
      y = b.reduceMax(x, ax, keep);
      break;
    case Reduce::Min:
      y = b.reduceMin(x, ax, keep);
      break;
    case Reduce::Prod:
      y = product(b, x, axes);
      if (!keep) {
        Shape s;
        for (int64_t i = 0; i < r; ++i)
          if (std::find(axes.begin(), axes.end(), i) == axes.end())
            s.push_back(shapeOf(x)[i]);
        y = b.reshape(y, s);
      }
      break;
    case Reduce::L1:
      y = b.reduceSum(b.abs(x), ax, keep);
      break;
    case Reduce::L2:
      requireFloat(x, "ReduceL2");
      y = b.sqrt(b.reduceSum(b.mul(x, x), ax, keep));
      break;
    case Reduce::SumSquare:
      y = b.reduceSum(b.mul(x, x), ax, keep);
      break;
    case Reduce::LogSum:
      requireFloat(x, "ReduceLogSum");
      y = b.log(b.reduceSum(x, ax, keep));
      break;
    case Reduce::LogSumExp:
      requireFloat(x, "ReduceLogSumExp");
      y = b.log(b.reduceSum(b.exp(x), ax, keep));
      break;
    }
    c.setOutput(0, y);
  };
}

/// ArgMax, and ArgMin as the ArgMax of -x.
Converter argExtreme(bool min) {
  return [min](NodeContext &c) {
    Builder &b = c.b();
    Value *x = c.input(0);
    int64_t axis = normalizeAxis(c.attrInt("axis", 0), rankOf(x), "axis");
    bool keep = c.attrInt("keepdims", 1) != 0;
    bool last = c.attrInt("select_last_index", 0) != 0;
    if (min) {
      if (!isSignedNumeric(x->type().dtype))
        unsupported("ArgMin of " + std::string(dtypeName(x->type().dtype)));
      x = b.neg(x);
    }
    int64_t d = shapeOf(x)[axis];
    if (last)
      x = b.slice(x, {-1}, {INT64_MIN}, {axis}, {-1});
    Value *y = b.argmax(x, axis, keep);
    if (last)
      y = b.sub(b.scalar(DType::I64, (double)(d - 1)), y);
    c.setOutput(0, y);
  };
}

} // namespace

void addReduceConverters(ConverterTable &t) {
  t["ReduceSum"] = reduction(Reduce::Sum);
  t["ReduceMean"] = reduction(Reduce::Mean);
  t["ReduceMax"] = reduction(Reduce::Max);
  t["ReduceMin"] = reduction(Reduce::Min);
  t["ReduceProd"] = reduction(Reduce::Prod);
  t["ReduceL1"] = reduction(Reduce::L1);
  t["ReduceL2"] = reduction(Reduce::L2);
  t["ReduceSumSquare"] = reduction(Reduce::SumSquare);
  t["ReduceLogSum"] = reduction(Reduce::LogSum);
  t["ReduceLogSumExp"] = reduction(Reduce::LogSumExp);
  t["ArgMax"] = argExtreme(false);
  t["ArgMin"] = argExtreme(true);
}

} // namespace adjoint::onnximport
