//===- Interpreter.h - The reference interpreter --------------------------===//
//
// Defines what every op means: clear rather than fast, it runs any verified
// graph and is the oracle every backend is tested against. Floating-point
// reductions accumulate in f64 and round once.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Attribute.h"
#include "ir/OpTable.h"
#include "ir/Tensor.h"

#include <map>
#include <span>
#include <string>

namespace adjoint {

class Graph;

/// Evaluates `op` on `operands` (whose types passed inferType) giving a
/// tensor of `resultType` that shares no storage with the operands.
/// Data-dependent errors (a gather index out of range) throw Failed.
Tensor evaluate(OpKind op, std::span<const Tensor> operands,
                const Attributes &attrs, const TensorType &resultType);

/// Runs the graph `g` with `inputs` bound by name and returns every output by
/// name; results never alias the inputs or the parameters. Verifies `g`
/// first. Throws BadInput for a missing or unknown input name or a dtype or
/// shape that differs from the input's; errors inside a node name the node.
std::map<std::string, Tensor>
interpret(const Graph &g, const std::map<std::string, Tensor> &inputs);

} // namespace adjoint
