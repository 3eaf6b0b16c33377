//===- TextFormat.h - The textual IR: printer and parser ------------------===//
//
// The text form of a model (files ending in `.adj`), for people and tests.
// It round-trips: printModel(parseModel(printModel(m))) == printModel(m).
// docs/ir.md describes the grammar.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Model.h"

#include <string>
#include <string_view>

namespace adjoint {

/// The text form of `m`.
std::string printModel(const Model &m);

/// Parses the text form. `fileName` prefixes error messages, which read
/// "FILE:LINE:COL: message". The result is verified.
Model parseModel(std::string_view text, const std::string &fileName = "<text>");

} // namespace adjoint
