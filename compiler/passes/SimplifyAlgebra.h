//===- SimplifyAlgebra.h - Algebraic simplification -----------------------===//
//
// Rewrites nodes by algebraic identities. docs/passes.md lists every rule
// and why it is exact.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

namespace adjoint {

/// Applies the algebraic rules of docs/passes.md to every node, in order
/// (so a chain such as neg(neg(neg(x))) simplifies in one run). Without
/// `fastMath` every rule gives bit-identical results in IEEE arithmetic
/// (except that a signaling NaN may come out unquieted); with it, rules
/// that change the results for NaN, infinities or signed zeros, or the
/// rounding (x*0 -> 0, x-x -> 0, x+0 -> x, reassociation of constants),
/// apply too. Integer rules are exact in wrapping arithmetic and always
/// apply. Nodes whose results lose their last use are left for
/// eliminateDeadCode. In place: `g` is replaced by the rebuilt graph, so
/// pointers into it are invalidated; inputs, parameters and outputs keep
/// their names, order and types.
void simplifyAlgebra(Graph &g, bool fastMath = false);

} // namespace adjoint
