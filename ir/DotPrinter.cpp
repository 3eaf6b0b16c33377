//===- DotPrinter.cpp - Graphviz pictures of graphs -----------------------===//
#include "ir/DotPrinter.h"

#include "ir/Error.h"
#include "ir/Graph.h"

#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

namespace adjoint {

namespace {

// Colours: inputs blue, parameters amber, constants grey, ops white,
// outputs green.
constexpr const char *kInputStyle =
    "shape=box, style=\"rounded,filled\", fillcolor=\"#cfe2f3\"";
constexpr const char *kParamStyle =
    "shape=box, style=filled, fillcolor=\"#fce5cd\"";
constexpr const char *kConstantStyle =
    "shape=box, style=filled, fillcolor=\"#eeeeee\"";
constexpr const char *kOpStyle =
    "shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\"";
constexpr const char *kOutputStyle =
    "shape=box, style=\"rounded,filled\", fillcolor=\"#d9ead3\"";
/// Added to the style of a node that has a note.
constexpr const char *kNoteStyle = ", color=\"#cc0000\", penwidth=2";
/// Clusters: a light blue rounded frame, the label at its top left.
constexpr const char *kClusterStyle =
    "style=\"rounded,filled\"; fillcolor=\"#f3f7fd\"; color=\"#6d9eeb\"; "
    "labeljust=l;";

/// At most this many elements of a list attribute are shown.
constexpr size_t kMaxListItems = 8;

std::string formatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

template <typename T> std::string formatList(const std::vector<T> &values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i == kMaxListItems) {
      out += ", ...";
      break;
    }
    if (i)
      out += ",";
    if constexpr (std::is_same_v<T, double>)
      out += formatDouble(values[i]);
    else
      out += std::to_string(values[i]);
  }
  return out + "]";
}

std::string formatTensor(const Tensor &t) {
  std::string out = typeStr(t.type());
  if (t.numElements() == 1)
    out += " = " + formatDouble(t.elementAsDouble(0));
  return out;
}

std::string formatAttr(const AttrValue &v) {
  return std::visit(
      [](const auto &x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t>)
          return std::to_string(x);
        else if constexpr (std::is_same_v<T, double>)
          return formatDouble(x);
        else if constexpr (std::is_same_v<T, bool>)
          return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::string>)
          return "\"" + x + "\"";
        else if constexpr (std::is_same_v<T, DType>)
          return std::string(dtypeName(x));
        else if constexpr (std::is_same_v<T, Tensor>)
          return formatTensor(x);
        else if constexpr (std::is_same_v<T, SubGraph>)
          return strCat("graph ", x->name(), " (", x->nodes().size(),
                        " nodes)");
        else
          return formatList(x);
      },
      v);
}

std::string paramLabel(const Param &p) {
  std::string label = "%" + p.value->name() + "\n" + typeStr(p.value->type());
  if (p.init) {
    label += "\n" + std::string(initKindName(p.init->kind));
    switch (p.init->kind) {
    case InitSpec::Kind::Zeros:
    case InitSpec::Kind::Ones:
      break;
    case InitSpec::Kind::Constant:
      label += " " + formatDouble(p.init->value);
      break;
    case InitSpec::Kind::Uniform:
    case InitSpec::Kind::Normal:
    case InitSpec::Kind::GlorotUniform:
    case InitSpec::Kind::GlorotNormal:
    case InitSpec::Kind::HeUniform:
    case InitSpec::Kind::HeNormal:
      label += " (seed " + std::to_string(p.init->seed) + ")";
      break;
    }
  }
  return label;
}

std::string nodeLabel(const Node &n) {
  std::string label(opName(n.op()));
  for (const auto &[name, value] : n.attrs())
    label += "\n" + name + "=" + formatAttr(value);
  return label + "\n%" + n.result()->name() + " : " +
         typeStr(n.result()->type());
}

} // namespace

std::string dotQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    default:
      out += c;
    }
  }
  return out + "\"";
}

std::string printDot(const Graph &g) { return printDot(g, DotOptions{}); }

std::string printDot(const Graph &g, const DotOptions &options) {
  std::ostringstream os;
  // Identifiers are generated (v0, v1, ...) in graph order; names appear
  // only in labels.
  std::map<const Value *, std::string> ids;
  auto idOf = [&](const Value *v) -> const std::string & {
    auto [it, inserted] = ids.try_emplace(v);
    if (inserted)
      it->second = "v" + std::to_string(ids.size() - 1);
    return it->second;
  };
  for (const Value *in : g.inputs())
    idOf(in);
  for (const Param &p : g.params())
    idOf(p.value);
  for (const auto &node : g.nodes())
    idOf(node->result());
  auto declareNode = [&](const Node &node, const std::string &indent) {
    std::string label = nodeLabel(node);
    std::string style =
        node.op() == OpKind::Constant ? kConstantStyle : kOpStyle;
    if (auto note = options.notes.find(&node); note != options.notes.end()) {
      label += "\n" + note->second;
      style += kNoteStyle;
    }
    os << indent << idOf(node.result()) << " [" << style
       << ", label=" << dotQuote(label) << "];\n";
  };

  os << "digraph " << dotQuote(g.name()) << " {\n"
     << "  rankdir=TB;\n"
     << "  node [fontname=\"Helvetica\", fontsize=10];\n"
     << "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n";

  for (const Value *in : g.inputs())
    os << "  " << idOf(in) << " [" << kInputStyle << ", label="
       << dotQuote("input %" + in->name() + "\n" + typeStr(in->type()))
       << "];\n";
  for (const Param &p : g.params())
    os << "  " << idOf(p.value) << " [" << kParamStyle
       << ", label=" << dotQuote("param " + paramLabel(p)) << "];\n";

  // Clusters hold node statements only: an edge inside one would pull its
  // ends into it.
  std::set<const Node *> clustered;
  for (size_t c = 0; c < options.clusters.size(); ++c) {
    const DotCluster &cluster = options.clusters[c];
    os << "  subgraph cluster_" << c << " {\n"
       << "    label=" << dotQuote(cluster.label) << "; " << kClusterStyle
       << "\n";
    for (const Node *node : cluster.nodes)
      if (clustered.insert(node).second)
        declareNode(*node, "    ");
    os << "  }\n";
  }

  for (const auto &node : g.nodes()) {
    const std::string &id = idOf(node->result());
    if (!clustered.count(node.get()))
      declareNode(*node, "  ");
    for (const Value *operand : node->operands())
      os << "  " << idOf(operand) << " -> " << id
         << " [label=" << dotQuote(typeStr(operand->type())) << "];\n";
  }

  size_t index = 0;
  for (const Output &out : g.outputs()) {
    std::string id = "out" + std::to_string(index++);
    os << "  " << id << " [" << kOutputStyle
       << ", label=" << dotQuote("output " + out.name) << "];\n";
    os << "  " << idOf(out.value) << " -> " << id
       << " [label=" << dotQuote(typeStr(out.value->type())) << "];\n";
  }
  os << "}\n";
  return os.str();
}

} // namespace adjoint
