//===- ScanRows.h - A scan body on a block of its state's rows -*- C++ -*-===//
//
// A recurrent layer over a batch computes row i of the next state from row i
// of the state and of the step's slices alone: the batch's rows never meet
// inside a step. Such a scan runs as several scans side by side, each over a
// block of rows, on different threads and with no synchronization between
// steps (compiler/codegen/ScanEmitter.cpp). bodyForRows finds out whether a
// body is of that kind and gives the body for a block.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <cstddef>
#include <optional>

namespace adjoint {

/// The body of a scan with `sequences` sequences, for `rows` of the R rows
/// (the leading axis) of its state: every value that carries the rows
/// retyped to `rows` of them. Empty unless the body computes row i of the
/// next state from row i of its state and of each step slice alone (each
/// slice's leading axis also has R rows), reading the invariants whole:
/// only elementwise ops, reductions, slices, concatenations, transposes and
/// reshapes that keep the leading axis, products of rows with an invariant
/// matrix (or batched over the rows), and gathers along other axes touch
/// the rows.
std::optional<Graph> bodyForRows(const Graph &body, size_t sequences,
                                 int64_t rows);

} // namespace adjoint
