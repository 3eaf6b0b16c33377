//===- TrainingData.cpp - Batches of data for train and evaluate ----------===//
#include "compiler/cli/TrainingData.h"

#include "ir/Error.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>

namespace adjoint::cli {

void gather(const Tensor &all, const std::vector<int64_t> &order, int64_t from,
            Tensor &batch) {
  size_t bytes = batch.byteSize() / (size_t)batch.shape()[0];
  for (int64_t i = 0; i < batch.shape()[0]; ++i)
    std::memcpy(batch.bytes() + i * bytes,
                all.bytes() + order[from + i] * bytes, bytes);
}

Tensor adaptLabels(const Tensor &labels, const TensorType &input) {
  int64_t n = labels.shape()[0];
  if (input.rank() == 1 && isInteger(input.dtype)) {
    Tensor out(TensorType{input.dtype, {n}});
    for (int64_t i = 0; i < n; ++i)
      out.setElementFromDouble(i, labels.elementAsDouble(i));
    return out;
  }
  if (input.rank() == 2 && isFloat(input.dtype)) {
    int64_t classes = input.shape[1];
    Tensor out(TensorType{input.dtype, {n, classes}});
    for (int64_t i = 0; i < n; ++i) {
      int64_t c = (int64_t)labels.elementAsDouble(i);
      if (c < 0 || c >= classes)
        badInput("label ", c, " of example ", i, " is outside the ", classes,
                 " classes of input ", typeStr(input));
      out.setElementFromDouble(i * classes + c, 1);
    }
    return out;
  }
  badInput("the labels input ", typeStr(input),
           " takes neither integer labels [batch] nor one-hot rows "
           "[batch, classes]");
}

StepResult evaluateAll(Trainer &trainer, const Tensor &x, const Tensor &y,
                       const std::string &features, const std::string &labels,
                       Tensor &bx, Tensor &by, int64_t &examples) {
  int64_t batch = bx.shape()[0], total = x.shape()[0];
  std::vector<int64_t> order(total);
  std::iota(order.begin(), order.end(), 0);
  double loss = 0, acc = 0;
  examples = 0;
  for (int64_t at = 0; at < total; at += batch) {
    int64_t n = std::min(batch, total - at);
    Tensor *ex = &bx, *ey = &by;
    Tensor tx, ty;
    if (n < batch) {
      Shape sx = bx.shape(), sy = by.shape();
      sx[0] = sy[0] = n;
      tx = Tensor({bx.dtype(), sx});
      ty = Tensor({by.dtype(), sy});
      ex = &tx;
      ey = &ty;
    }
    gather(x, order, at, *ex);
    gather(y, order, at, *ey);
    StepResult r;
    try {
      r = trainer.evaluate({{features, *ex}, {labels, *ey}});
    } catch (const Error &e) {
      if (n == batch)
        throw;
      static bool noted = false;
      if (!noted)
        std::fprintf(stderr,
                     "adjoint: note: the last %lld test examples are not "
                     "evaluated: %s\n",
                     (long long)n, e.what());
      noted = true;
      break;
    }
    loss += r.loss * (double)n;
    acc += r.accuracy.value_or(0) * (double)n;
    examples += n;
  }
  StepResult r;
  if (examples) {
    r.loss = loss / (double)examples;
    r.accuracy = acc / (double)examples;
  }
  return r;
}

} // namespace adjoint::cli
