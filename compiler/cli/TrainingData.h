//===- TrainingData.h - Batches of data for train and evaluate -*- C++ -*-===//
//
// What `adjoint train` and `adjoint evaluate` share: copying shuffled
// examples into a batch, labels in the form a model's labels input takes,
// and the loss and accuracy over a whole split.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/training/Trainer.h"
#include "ir/Tensor.h"

#include <string>
#include <vector>

namespace adjoint::cli {

/// Copies the examples `order[from, from + n)` of `all` into `batch` (n is
/// batch's leading dimension).
void gather(const Tensor &all, const std::vector<int64_t> &order, int64_t from,
            Tensor &batch);

/// The data set's labels as the model's labels input wants them: integers
/// of its dtype, or one-hot rows when it takes floats [B, C].
Tensor adaptLabels(const Tensor &labels, const TensorType &input);

/// The mean loss and accuracy over every example of x and y: whole
/// batches of bx's and by's size (which are filled), then the last partial
/// batch through an evaluation re-batched to its size. Losses are batch
/// means, so each batch counts by its size. `examples` is how many were
/// evaluated (all of them, unless the model cannot be re-batched, which a
/// note says).
StepResult evaluateAll(Trainer &trainer, const Tensor &x, const Tensor &y,
                       const std::string &features, const std::string &labels,
                       Tensor &bx, Tensor &by, int64_t &examples);

} // namespace adjoint::cli
