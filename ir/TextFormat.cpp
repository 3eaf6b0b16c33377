//===- TextFormat.cpp - The textual IR: printer and parser ----------------===//
//
// Placeholder until the text IR lands: both directions report that the .adj
// form is not available yet.
//
//===----------------------------------------------------------------------===//
#include "ir/TextFormat.h"

#include "ir/Error.h"

namespace adjoint {

std::string printModel(const Model &) {
  failed("the text IR (.adj) is not available in this build");
}

Model parseModel(std::string_view, const std::string &fileName) {
  failed(fileName, ": the text IR (.adj) is not available in this build");
}

} // namespace adjoint
