//===- StridedView.h - Where a chain of views puts each element -*- C++ -*-===//
//
// A transpose, a reshape or a slice moves no element: read through, its
// result is a pattern of addresses in its operand. StridedView describes
// that pattern for a chain of views over a row-major value, as the layouts
// of CuTe or Triton do: each axis of the view is a row-major product of
// modes, each mode `extent` elements `stride` apart. A reshape splits and
// merges modes, a transpose permutes axes, a slice narrows a mode. When
// every axis of a GEMM operand's matrix comes out as one mode, the GEMM
// reads the chain's operand where it lies (FusionPlan.h, matmulOperand):
// the heads of attention, split off with a reshape and a transpose, are
// then read with a batch stride and a row stride, never copied.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace adjoint {

/// `extent` indices, `stride` elements apart.
struct Mode {
  int64_t extent = 1, stride = 0;

  bool operator==(const Mode &) const = default;
};

/// The elements of a view: element (i_0, ..., i_{r-1}) is at `offset` plus,
/// for each axis d, the index i_d written in the mixed radix of
/// axes[d]'s extents (outermost mode first), each digit times its mode's
/// stride. An axis of extent 1 has no modes.
struct StridedView {
  int64_t offset = 0;
  std::vector<std::vector<Mode>> axes;

  bool operator==(const StridedView &) const = default;
};

/// A row-major value of `shape` read as it is stored.
StridedView contiguousView(const Shape &shape);

/// `view` read through the view op `n` (transpose, reshape, or slice with
/// positive steps) whose operand it describes: the view of n's result, or
/// nullopt when n's result is not a strided pattern of the same memory (a
/// reshape that merges axes whose modes do not line up, say).
std::optional<StridedView> applyView(const StridedView &view, const Node &n);

/// `modes` merged where they are one run (the outer's stride is the
/// inner's extent times stride), extent-1 modes dropped.
std::vector<Mode> coalesce(const std::vector<Mode> &modes);

/// True for the ops applyView reads through.
bool isViewOp(OpKind op);

} // namespace adjoint
