//===- EliminateDeadCode.h - Removal of nodes no output needs -------------===//
//
// Drops the nodes whose results no graph output depends on.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

namespace adjoint {

/// Removes every node that no output depends on, directly or through other
/// nodes, unless its op has a side effect (such nodes, and what they depend
/// on, are kept). Inputs and parameters stay even when unused: they are the
/// graph's signature. The nodes kept keep their order and names. In place:
/// `g` is replaced by the rebuilt graph, so pointers into it are
/// invalidated.
void eliminateDeadCode(Graph &g);

} // namespace adjoint
