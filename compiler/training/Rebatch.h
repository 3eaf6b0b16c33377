//===- Rebatch.h - A model at another batch size ----------------*- C++ -*-===//
//
// Models have static shapes, and the batch size is the leading dimension of
// the features input. rebatch() builds the same model for another batch
// size: it follows the batch axis from the inputs through every node,
// rewrites the shape attributes that mention it (reshape, broadcast_to,
// iota, scatter_add and the gradient ops' input shapes) and re-infers every
// type. A model whose batch axis cannot be followed (a reshape that merges
// it with other axes, a constant or parameter of batch size combined with
// the examples, a slice of the batch...) is refused with the node, its op
// and its shapes.
//
//   Model m = loadModel("examples/fashion_cnn.pbtxt");  // x: f32[64,1,28,28]
//   Model big = rebatch(m, 128);                         // x: f32[128,1,28,28]
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Model.h"

#include <string>

namespace adjoint {

/// A new graph whose batch dimension is `batch`. The batch axis starts as
/// axis 0 of input `features` and of every other input whose leading
/// dimension equals that of `features` (the labels, for instance), and of
/// every iota whose leading dimension does (when the old batch is not 1).
/// Through each node the axis of its result that is the batch axis is
/// tracked; a reduction over it ends it. Values without a batch axis keep
/// their types; parameters are copied. Throws BadInput naming the node when
/// the batch axis cannot be followed, and when `features` is not an input
/// of rank >= 1 or `batch` is not positive.
Graph rebatch(const Graph &g, const std::string &features, int64_t batch);

/// The input that carries `m`'s batch: its training spec's features input
/// or, without one, its first input. BadInput if that is not an input of
/// rank >= 1.
std::string batchInput(const Model &m);

/// `m` re-batched along batchInput(m), with the spec's batch size (if set)
/// updated.
Model rebatch(const Model &m, int64_t batch);

} // namespace adjoint
