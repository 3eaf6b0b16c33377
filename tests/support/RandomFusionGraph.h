//===- RandomFusionGraph.h - Random graphs to fuse -------------*- C++ -*-===//
//
// randomFusionGraph(seed) builds a verified graph made of what fusion
// groups: chains of elementwise ops over operands broadcast in both
// directions, broadcast_to, transposes and reversing slices of computed
// values (transposed back), transposes, strided slices and reshapes of
// inputs, softmax, log-softmax and normalizations over trailing axes,
// matmuls and conv2ds of inputs with elementwise consumers, reductions
// (sum, max, min; keepdims or over leading axes) feeding further
// elementwise ops, comparisons and select, casts through integers, values
// with several consumers, and one to three outputs. Ranks 0 to 4, f32 or
// f64, a pure function of the seed.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <cstdint>

namespace adjoint::testing {

/// A random graph for fusion tests (see the file comment).
Graph randomFusionGraph(uint64_t seed);

} // namespace adjoint::testing
