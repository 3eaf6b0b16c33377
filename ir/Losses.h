//===- Losses.h - Loss functions and accuracy as builder composites -------===//
//
// Losses are not ops: each is built from primitives with a Builder, so that
// autodiff and fusion see ordinary graphs. Every loss is numerically stable
// for any finite input (log-sum-exp with the max shift, the softplus form of
// binary cross-entropy) and returns a scalar of the predictions' float dtype:
// the mean over the batch (axis 0) of the per-example loss, which for
// elementwise losses (mean squared error, binary cross-entropy) is the mean
// over every element, as Keras computes it.
//
//   Value *logits = b.dense(h, w, bias);                  // [B, C]
//   b.output("loss", sparseSoftmaxCrossEntropy(b, logits, labels));
//   b.output("accuracy", accuracy(b, logits, labels));
//
// Shapes and dtypes are checked when the loss is built: a mismatch throws
// BadInput naming the loss and the types.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Builder.h"

namespace adjoint {

/// Softmax cross-entropy of `logits` [B, C] (float) against `targets`
/// [B, C] of the same dtype, one-hot rows or probability rows (Keras's
/// categorical_crossentropy on logits):
///   mean_b ( -sum_c targets[b,c] * log_softmax(logits)[b,c] ).
Value *softmaxCrossEntropy(Builder &b, Value *logits, Value *targets);

/// Softmax cross-entropy of `logits` [B, C] (float) against class indices
/// `labels` [B] (i32 or i64), as TensorFlow's
/// sparse_softmax_cross_entropy_with_logits followed by the batch mean:
///   mean_b ( -log_softmax(logits)[b, labels[b]] ).
/// The one-hot rows are one_hot(labels, C): a label outside [0, C) is an
/// error when the graph runs (naming the one_hot node), never a silent 0.
Value *sparseSoftmaxCrossEntropy(Builder &b, Value *logits, Value *labels);

/// Mean squared error of `pred` and `target` (one float type, rank >= 1):
///   mean over every element of (pred - target)^2.
Value *meanSquaredError(Builder &b, Value *pred, Value *target);

/// Binary cross-entropy of `logits` and `targets` in [0, 1] (one float type,
/// rank >= 1), with the sigmoid folded in and evaluated stably:
///   mean over every element of max(x, 0) - x*t + log(1 + exp(-|x|)).
Value *binaryCrossEntropyWithLogits(Builder &b, Value *logits, Value *targets);

/// The fraction of rows of `predictions` [B, C] (float logits or
/// probabilities) whose argmax equals the label: `labels` are class indices
/// [B] (i32 or i64) or one-hot (or probability) rows [B, C] of a float dtype,
/// compared by their argmax. Predictions of one column [B, 1] are a binary
/// classifier's logits: against float targets [B, 1] in {0, 1}, a row is
/// right when (logit > 0) == (target > 0.5), Keras's binary accuracy of the
/// sigmoid at 0.5. An f32 scalar in [0, 1].
Value *accuracy(Builder &b, Value *predictions, Value *labels);

} // namespace adjoint
