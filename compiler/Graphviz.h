//===- Graphviz.h - Draw DOT text with graphviz's `dot` program -*- C++ -*-===//
#pragma once

#include <string>

namespace adjoint {

/// Runs graphviz's `dot -Tsvg` on `dotText` and returns the SVG. The program
/// is started with an argument vector (no shell), reading and writing
/// temporary files. A missing `dot` or a failed run is a Failed error.
std::string renderSvg(const std::string &dotText);

} // namespace adjoint
