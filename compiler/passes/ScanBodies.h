//===- ScanBodies.h - The passes inside scans, and invariants hoisted -----===//
//
// Passes see into a scan's body: the body of every scan goes through the
// simplification passes itself (nested scans included), and the work of a
// body that does not change from step to step is hoisted out of the loop:
// a node whose operands are loop invariants, constants or other hoisted
// nodes is computed once before the scan, and its result becomes a new
// invariant operand (a transpose of a weight, a slice of the recurrent
// weights, a bias summed with another). Invariant operands no node of the
// body reads any more are dropped.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <functional>

namespace adjoint {

/// Rewrites every scan of `g` as the header says; `simplify` runs the
/// simplification passes on a body (and is what calls this pass inside
/// it). In place: pointers into `g` are invalidated.
void simplifyScanBodies(Graph &g,
                        const std::function<void(Graph &body)> &simplify);

/// Whether `g` has a scan (not counting scans inside scans).
bool hasScan(const Graph &g);

/// The hoisting alone, with the bodies otherwise as they are: run before
/// differentiation, so that a scan's gradient gets the invariant weights
/// as invariant operands (autodiff/ScanGrad.cpp) rather than work of every
/// step. In place, as above.
void hoistScanInvariants(Graph &g);

} // namespace adjoint
