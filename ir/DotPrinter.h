//===- DotPrinter.h - Graphviz pictures of graphs --------------*- C++ -*-===//
//
// Prints a graph in Graphviz's DOT language, laid out top to bottom: inputs
// and parameters as boxes of their own colours, every op as a node labelled
// with its op name, key attributes and result, outputs as their own nodes,
// and every edge labelled with the type of the value it carries.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <string>
#include <string_view>

namespace adjoint {

class Graph;

/// The DOT text of `g`. Names are quoted and escaped, so any value or
/// output name gives valid DOT.
std::string printDot(const Graph &g);

/// `s` as a DOT double-quoted string, quotes included.
std::string dotQuote(std::string_view s);

} // namespace adjoint
