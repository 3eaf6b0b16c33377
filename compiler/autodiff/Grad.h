//===- Grad.h - Symbolic differentiation of graphs -------------*- C++ -*-===//
//
// Reverse-mode differentiation as a graph-to-graph transform. The nodes
// that lie between the values to differentiate with respect to (`wrt`) and
// the loss are walked in reverse, and each op's vector-Jacobian product is
// appended to the graph as ordinary ops (GradRules.cpp holds one rule per
// op). The result is an ordinary graph: it verifies, prints, runs on the
// interpreter and the JIT, and can be differentiated again.
//
//   Graph g = ...;                                   // loss output "loss"
//   Graph dg = gradientGraph(g, "loss");             // + grad.<param>
//   auto out = compile(dg)->run({{"x", batch}});
//
// Conventions (docs/autodiff.md states them with every rule):
// - gradients reaching a value from several consumers are summed;
// - an operand that was broadcast gets its gradient summed back to its shape;
// - integer and bool values carry no gradient, and stop_gradient cuts;
// - a wrt value the loss does not depend on gets zeros of its type.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <string>
#include <vector>

namespace adjoint {

/// Appends to `g` the nodes that compute d(loss)/d(v) for each `v` of `wrt`
/// and returns them in the order of `wrt`, each of v's type. `loss` must be
/// a float scalar of `g`; every `wrt` value a float value of `g`. Throws
/// BadInput (nothing appended) for a bad loss or wrt value, and, when ops
/// between them have no gradient rule, one error naming all of them.
std::vector<Value *> appendGradients(Graph &g, Value *loss,
                                     const std::vector<Value *> &wrt);

/// The vector-Jacobian product: appends the nodes that compute
/// d(sum(seed * y))/d(v) for each `v` of `wrt` (float values of `g`) and
/// returns them in the order of `wrt`. `seed` has y's type. This is how a
/// scan's gradient differentiates its body (compiler/autodiff/ScanGrad.cpp).
std::vector<Value *> appendVjp(Graph &g, Value *y, Value *seed,
                               const std::vector<Value *> &wrt);

/// A copy of `g` whose outputs are the output named `lossOutput` (under its
/// own name) and then `grad.<name>` for each name of `wrt`: d(loss)/d(value)
/// of that input or parameter. The work of a scan's body that is the same at
/// every step is hoisted out of the loop first (hoistScanInvariants). An empty
/// `wrt` means every float parameter. The graph is named `<name>_grad`. Throws
/// BadInput for an unknown loss or wrt name, a loss that is not a float scalar,
/// a wrt value that is not a float, or a graph without float parameters when
/// `wrt` is empty.
Graph gradientGraph(const Graph &g, const std::string &lossOutput,
                    std::vector<std::string> wrt = {});

} // namespace adjoint
