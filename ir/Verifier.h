//===- Verifier.h - Checks that a graph is well formed --------------------===//
#pragma once

namespace adjoint {

class Graph;

/// Checks `g`: every operand is defined before its use (inputs, parameters,
/// earlier nodes), every node's attributes match its op, every node's result
/// type equals the type inferred again from its operands, parameter data
/// matches its declared type, and there is at least one output. Throws
/// BadInput naming the node, op and shapes of the first problem.
void verify(const Graph &g);

} // namespace adjoint
