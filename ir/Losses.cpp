//===- Losses.cpp - Loss functions and accuracy as builder composites -----===//
#include "ir/Losses.h"

#include "ir/Error.h"

namespace adjoint {

namespace {

/// Checks that `logits` is a float matrix [B, C] with C >= 1.
void checkLogits(const char *loss, const Value *logits) {
  const TensorType &t = logits->type();
  if (t.rank() != 2 || !isFloat(t.dtype) || t.shape[1] == 0)
    badInput(loss, ": logits must be a float matrix [batch, classes] with at ",
             "least one class, not ", typeStr(t));
}

/// Checks that `a` and `b` have one float type of rank >= 1.
void checkSameFloat(const char *loss, const char *aName, const Value *a,
                    const char *bName, const Value *b) {
  const TensorType &ta = a->type(), &tb = b->type();
  if (!isFloat(ta.dtype) || ta.rank() == 0)
    badInput(loss, ": ", aName, " must be a float tensor [batch, ...], not ",
             typeStr(ta));
  if (ta != tb)
    badInput(loss, ": ", bName, " ", typeStr(tb), " must have the type of ",
             aName, " ", typeStr(ta));
}

/// The mean over every element of `x`: a scalar.
Value *meanAll(Builder &b, Value *x) { return b.reduceMean(x, std::nullopt); }

/// -sum_c onehot * log_softmax(logits), averaged over the batch.
Value *crossEntropy(Builder &b, Value *logits, Value *targets) {
  Value *logProbs = b.logSoftmax(logits, 1);
  Value *perExample =
      b.neg(b.reduceSum(b.mul(targets, logProbs), std::vector<int64_t>{1}));
  return meanAll(b, perExample);
}

} // namespace

Value *softmaxCrossEntropy(Builder &b, Value *logits, Value *targets) {
  const char *loss = "softmax_cross_entropy";
  checkLogits(loss, logits);
  checkSameFloat(loss, "logits", logits, "targets", targets);
  return crossEntropy(b, logits, targets);
}

Value *sparseSoftmaxCrossEntropy(Builder &b, Value *logits, Value *labels) {
  const char *loss = "sparse_softmax_cross_entropy";
  checkLogits(loss, logits);
  const TensorType &lt = labels->type();
  int64_t batch = logits->type().shape[0];
  if (lt.rank() != 1 || (lt.dtype != DType::I32 && lt.dtype != DType::I64))
    badInput(loss, ": labels must be class indices i32[batch] or i64[batch], ",
             "not ", typeStr(lt));
  if (lt.shape[0] != batch)
    badInput(loss, ": labels ", typeStr(lt), " and logits ",
             typeStr(logits->type()), " differ in their batch dimension");
  // one_hot checks every label: one outside [0, C) is an error of run(),
  // never a silent zero.
  Value *targets =
      b.oneHot(labels, logits->type().shape[1], logits->type().dtype);
  return crossEntropy(b, logits, targets);
}

Value *meanSquaredError(Builder &b, Value *pred, Value *target) {
  checkSameFloat("mean_squared_error", "predictions", pred, "targets", target);
  Value *diff = b.sub(pred, target);
  return meanAll(b, b.mul(diff, diff));
}

Value *binaryCrossEntropyWithLogits(Builder &b, Value *logits, Value *targets) {
  checkSameFloat("binary_cross_entropy_with_logits", "logits", logits,
                 "targets", targets);
  DType dtype = logits->type().dtype;
  // max(x, 0) - x*t + log(1 + exp(-|x|)): exp never overflows, and the
  // log term lies in (0, log 2].
  Value *relu = b.maximum(logits, b.scalar(dtype, 0));
  Value *softplus =
      b.log(b.add(b.scalar(dtype, 1), b.exp(b.neg(b.abs(logits)))));
  Value *perElement = b.add(b.sub(relu, b.mul(logits, targets)), softplus);
  return meanAll(b, perElement);
}

Value *accuracy(Builder &b, Value *predictions, Value *labels) {
  const char *what = "accuracy";
  const TensorType &pt = predictions->type();
  if (pt.rank() != 2 || !isFloat(pt.dtype) || pt.shape[1] == 0)
    badInput(what, ": predictions must be a float matrix [batch, classes] ",
             "with at least one class, not ", typeStr(pt));
  const TensorType &lt = labels->type();
  // One column: a binary classifier's logits, against 0/1 targets of the
  // same shape: the fraction where (logit > 0) == (target > 0.5).
  if (pt.shape[1] == 1 && isFloat(lt.dtype) && lt.shape == pt.shape) {
    Value *said = b.greater(predictions, b.scalar(pt.dtype, 0));
    Value *truth = b.greater(labels, b.scalar(lt.dtype, 0.5));
    return meanAll(
        b, b.cast(b.equal(b.cast(said, DType::F32), b.cast(truth, DType::F32)),
                  DType::F32));
  }
  Value *predicted = b.argmax(predictions, 1);
  Value *expected = nullptr;
  if (lt.rank() == 1 && (lt.dtype == DType::I32 || lt.dtype == DType::I64) &&
      lt.shape[0] == pt.shape[0])
    expected = lt.dtype == DType::I64 ? labels : b.cast(labels, DType::I64);
  else if (lt.rank() == 2 && isFloat(lt.dtype) && lt.shape == pt.shape)
    expected = b.argmax(labels, 1);
  else
    badInput(what, ": labels must be class indices i32[", pt.shape[0],
             "] or i64[", pt.shape[0], "] or float rows [", pt.shape[0], ",",
             pt.shape[1], "] for predictions ", typeStr(pt), ", not ",
             typeStr(lt));
  Value *hits = b.cast(b.equal(predicted, expected), DType::F32);
  return meanAll(b, hits);
}

} // namespace adjoint
