//===- ModelCompare.h - Structural comparison of models -------*- C++ -*-===//
//
// For round-trip tests (text, .pb, .pbtxt): two models are the same when
// their graphs have the same name, inputs, parameters (data bit for bit and
// recipe), nodes (op, operands by name, attributes, result name and type),
// outputs and training spec.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Model.h"

#include <string>

namespace adjoint::testing {

/// The first difference between `a` and `b` in words, or "" if they are the
/// same.
std::string modelDifference(const Model &a, const Model &b);

} // namespace adjoint::testing
