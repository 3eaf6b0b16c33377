//===- TextPrinter.cpp - Writes the textual IR ----------------------------===//
//
// The output is canonical, so that printing what was parsed gives the same
// text: attributes in name order and only those set on the node, floats in
// their shortest exact form, names quoted only when they must be.
//
//===----------------------------------------------------------------------===//
#include "ir/TextFormat.h"

#include "ir/Error.h"
#include "ir/SymbolicDim.h"
#include "ir/TextLexer.h"

#include <type_traits>

namespace adjoint {

using namespace text;

namespace {

void printType(std::string &out, const TensorType &t) { out += typeStr(t); }

/// Appends `[e0, e1, ...]`: the elements of `t` in row-major order.
void printData(std::string &out, const Tensor &t) {
  // A placeholder tensor without storage prints as the zeros it stands for.
  const Tensor data = t.hasStorage() ? t : Tensor(t.type());
  out += '[';
  int64_t n = data.numElements();
  for (int64_t i = 0; i < n; ++i) {
    if (i)
      out += ", ";
    visitDType(data.dtype(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, bool>) {
        // Read the byte itself: a file may hold a bool byte other than 0/1.
        out += reinterpret_cast<const uint8_t *>(data.bytes())[i] ? "true"
                                                                  : "false";
      } else if constexpr (std::is_floating_point_v<T>) {
        out += formatFloat(data.data<T>()[i]);
      } else {
        out += std::to_string(data.data<T>()[i]);
      }
    });
  }
  out += ']';
}

/// Appends `[a, b, ...]`; with `symbolic` (a shape attribute), symbolic
/// dimensions as symbols (N, N*28).
template <typename T>
void printList(std::string &out, const std::vector<T> &v,
               bool symbolic = false) {
  out += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i)
      out += ", ";
    if constexpr (std::is_same_v<T, double>)
      out += formatFloatAttr(v[i]);
    else
      out += symbolic && isSymbolic(v[i]) ? dimStr(v[i]) : std::to_string(v[i]);
  }
  out += ']';
}

void printGraph(std::string &out, const Graph &g, const std::string &indent);

/// Appends an attribute value; a graph's lines are indented by `indent`
/// plus two spaces, and its closing brace by `indent`.
void printAttr(std::string &out, const AttrValue &value,
               const std::string &indent = "", bool shape = false) {
  std::visit(
      [&](const auto &v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          out += std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          out += formatFloatAttr(v);
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string>) {
          out += quoteString(v);
        } else if constexpr (std::is_same_v<T, DType>) {
          out += dtypeName(v);
        } else if constexpr (std::is_same_v<T, Tensor>) {
          printType(out, v.type());
          out += ' ';
          printData(out, v);
        } else if constexpr (std::is_same_v<T, SubGraph>) {
          printGraph(out, *v, indent);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          printList(out, v, shape);
        } else {
          printList(out, v);
        }
      },
      value);
}

/// Appends `name=value` for a float field of an initializer.
void printField(std::string &out, const char *name, double value) {
  out += ", ";
  out += name;
  out += '=';
  out += formatFloatAttr(value);
}

/// Appends an initializer recipe with the fields its kind uses.
void printInit(std::string &out, const InitSpec &init) {
  using K = InitSpec::Kind;
  out += initKindName(init.kind);
  std::string fields;
  switch (init.kind) {
  case K::Zeros:
  case K::Ones:
    break;
  case K::Constant:
    printField(fields, "value", init.value);
    break;
  case K::Uniform:
    fields += ", seed=" + std::to_string(init.seed);
    printField(fields, "low", init.low);
    printField(fields, "high", init.high);
    break;
  case K::Normal:
    fields += ", seed=" + std::to_string(init.seed);
    printField(fields, "mean", init.mean);
    printField(fields, "stddev", init.stddev);
    break;
  case K::GlorotUniform:
  case K::GlorotNormal:
  case K::HeUniform:
  case K::HeNormal:
    fields += ", seed=" + std::to_string(init.seed);
    break;
  }
  if (!fields.empty())
    out += "(" + fields.substr(2) + ")";
}

void printValueName(std::string &out, const Value *v) {
  out += '%';
  out += quoteName(v->name());
}

void printNode(std::string &out, const Node &node, const std::string &indent) {
  out += indent;
  printValueName(out, node.result());
  out += " = ";
  out += opName(node.op());
  out += '(';
  for (size_t i = 0; i < node.operands().size(); ++i) {
    if (i)
      out += ", ";
    printValueName(out, node.operand(i));
  }
  out += ')';
  if (!node.attrs().empty()) {
    out += " {";
    bool first = true;
    for (const auto &[name, value] : node.attrs()) {
      out += first ? "" : ", ";
      first = false;
      out += quoteName(name);
      out += " = ";
      printAttr(out, value, indent, name == "shape");
    }
    out += '}';
  }
  out += " : ";
  printType(out, node.result()->type());
  out += '\n';
}

/// Appends an optimizer: its kind, then the fields it sets, if any.
void printOptimizer(std::string &out, const OptimizerConfig &opt) {
  out += optimizerKindName(opt.kind);
  std::string fields;
  for (OptimizerField f :
       {OptimizerField::Lr, OptimizerField::Momentum, OptimizerField::Nesterov,
        OptimizerField::Beta1, OptimizerField::Beta2, OptimizerField::Epsilon,
        OptimizerField::WeightDecay}) {
    std::optional<double> v = opt.get(f);
    if (!v)
      continue;
    fields += fields.empty() ? "(" : ", ";
    fields += optimizerFieldName(f);
    fields += '=';
    if (f == OptimizerField::Nesterov)
      fields += *v != 0 ? "true" : "false";
    else
      fields += formatFloatAttr(*v);
  }
  out += fields.empty() ? "" : fields + ")";
}

/// Appends the training block: the loss, then each field that is set.
void printTraining(std::string &out, const TrainingSpec &t) {
  out += "training { loss = " + quoteString(t.loss);
  if (t.optimizer) {
    out += ", optimizer = ";
    printOptimizer(out, *t.optimizer);
  }
  if (t.batchSize != 0)
    out += ", batch_size = " + std::to_string(t.batchSize);
  if (t.epochs != 0)
    out += ", epochs = " + std::to_string(t.epochs);
  for (auto [name, value] :
       {std::pair{"features", &t.features}, std::pair{"labels", &t.labels},
        std::pair{"predictions", &t.predictions}})
    if (!value->empty())
      out += strCat(", ", name, " = ", quoteString(*value));
  if (!t.stateUpdates.empty()) {
    out += ", state_updates = [";
    for (size_t i = 0; i < t.stateUpdates.size(); ++i)
      out += strCat(i ? ", " : "", quoteString(t.stateUpdates[i].param), ": ",
                    quoteString(t.stateUpdates[i].output));
    out += "]";
  }
  out += " }\n";
}

} // namespace

std::string printAttrValue(const AttrValue &value) {
  std::string out;
  printAttr(out, value);
  return out;
}

namespace {

/// Appends `g`: its header, its nodes indented by `indent` plus two spaces,
/// `return`, and its closing brace indented by `indent` (no newline after).
void printGraph(std::string &out, const Graph &g, const std::string &indent) {
  std::string inner = indent + "  ";
  out += "graph " + quoteName(g.name()) + "(";
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    if (i)
      out += ", ";
    printValueName(out, g.inputs()[i]);
    out += ": ";
    printType(out, g.inputs()[i]->type());
  }
  out += ')';
  if (!g.params().empty()) {
    out += " params(";
    for (size_t i = 0; i < g.params().size(); ++i) {
      const Param &p = g.params()[i];
      if (i)
        out += ", ";
      printValueName(out, p.value);
      out += ": ";
      printType(out, p.value->type());
      out += " = ";
      if (p.init)
        printInit(out, *p.init);
      else
        printData(out, p.data);
    }
    out += ')';
  }
  out += " {\n";
  for (const auto &node : g.nodes())
    printNode(out, *node, inner);
  out += inner + "return";
  for (size_t i = 0; i < g.outputs().size(); ++i) {
    const Output &o = g.outputs()[i];
    out += i ? ", " : " ";
    if (o.name != o.value->name())
      out += quoteName(o.name) + " = ";
    printValueName(out, o.value);
  }
  out += "\n" + indent + "}";
}

} // namespace

std::string printModel(const Model &m) {
  std::string out;
  printGraph(out, m.graph, "");
  out += "\n";
  if (m.training)
    printTraining(out, *m.training);
  return out;
}

} // namespace adjoint
