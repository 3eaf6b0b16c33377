//===- TextFormat.h - The textual IR: printer and parser ------------------===//
//
// The text form of a model (files ending in `.adj`), for people and tests.
// It round-trips: printModel(parseModel(printModel(m))) == printModel(m),
// bit-exactly for every float. docs/ir.md describes the grammar.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Attribute.h"
#include "ir/Model.h"

#include <optional>
#include <string>
#include <string_view>

namespace adjoint {

/// The text form of `m`. Any model prints, verified or not.
std::string printModel(const Model &m);

/// Parses the text form. `fileName` prefixes error messages, which read
/// "FILE:LINE:COL: message". The graph is built with the declared result
/// types, each node checked against its operands as it is read, and the
/// result is verified. Every problem is a BadInput error.
Model parseModel(std::string_view text, const std::string &fileName = "<text>");

/// The text form of one attribute value, as written after `name =` in a
/// node's attribute list.
std::string printAttrValue(const AttrValue &value);

/// Parses one attribute value (the whole of `text`). `kind`, when given,
/// decides the forms that fit several kinds: `[]` and integers written where
/// floats are expected. Errors read "<attribute>:LINE:COL: message".
AttrValue parseAttrValue(std::string_view text,
                         std::optional<AttrKind> kind = std::nullopt);

} // namespace adjoint
