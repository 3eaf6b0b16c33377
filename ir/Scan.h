//===- Scan.h - The roles of a scan's operands and its type rule ----------===//
//
// A `scan` runs its body once per step t along the leading axis of its
// sequence operands:
//
//   state_0 = init
//   state_{t+1} = body(state_t, seq_1[t], ..., seq_k[t], invariants...)
//   result[t] = state_{t+1}
//
// (with `reverse`, step t reads seq[T-1-t] and writes result[T-1-t]). The
// body is a graph without parameters: the weights it uses come in as
// invariant operands, so that differentiation sees them. Several states
// travel packed into one tensor (ir/Layers.cpp packs an LSTM's h and c).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/OpTable.h"
#include "ir/TensorType.h"

#include <span>

namespace adjoint {

class Graph;

/// Where a scan's operands are: operand 0 is the initial state, operands
/// [1, 1 + sequences) the sequences, and the rest the invariants.
struct ScanRoles {
  size_t sequences = 0;
  size_t invariants = 0;
  /// The number of steps: the sequences' leading extent.
  int64_t length = 0;
  bool reverse = false;

  size_t firstSequence() const { return 1; }
  size_t firstInvariant() const { return 1 + sequences; }
  /// The slice of the step that runs t-th: t, or T-1-t in reverse.
  int64_t slice(int64_t t) const { return reverse ? length - 1 - t : t; }
};

/// The roles of a scan with operands of types `ops` and attributes `r`,
/// checked: at least one sequence, all of one static length T >= 1. Throws
/// BadInput naming the operands otherwise.
ScanRoles scanRoles(const AttrReader &r, std::span<const TensorType> ops);

/// The type of one step's slice of a sequence of type `seq`.
TensorType sliceType(const TensorType &seq);

/// The type rule of `scan`: the body's inputs must have the types of the
/// state, one slice of each sequence and the invariants, and its one output
/// the state's type. The result is [T, state...].
TensorType inferScan(std::span<const TensorType> ops, const AttrReader &r);

} // namespace adjoint
