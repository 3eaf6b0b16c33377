//===- TransposeParameters.h - Parameters transposed once, when compiled --===//
//
// For code whose parameters keep the values they have when it is compiled
// (the JIT's: an Executable has no way to change them), a transpose of a
// parameter is data known at compile time. Models exported from frameworks
// that store a dense layer's weights [out, in] read them transposed on
// every run; this pass does it once.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

namespace adjoint {

/// Replaces each transpose of a parameter that holds data by a new
/// parameter holding the transposed data (named after the old one with
/// ".T"); the old parameter stays, as every parameter is part of the
/// graph's signature. A transpose that is a graph output stays, and so does
/// one that a matmul of at most 4 rows reads as its right operand (the GEMM
/// reads a transposed operand of such a product faster as it is). In place: `g`
/// is replaced by the rebuilt graph, so pointers into it are invalidated.
void transposeParameters(Graph &g);

} // namespace adjoint
