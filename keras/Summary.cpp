//===- Summary.cpp - Keras's summary table --------------------------------===//
//
// The table of TensorFlow 2's Keras: 65 characters wide, columns at 29 and
// 55, one row per layer (and per input of a functional model), a blank
// line between rows, and the counts with thousands separated by commas.
//
//===----------------------------------------------------------------------===//
#include "keras/ModelImpl.h"

#include "ir/OpTable.h"
#include "ir/SymbolicDim.h"

#include <set>

namespace adjoint::keras::detail {
namespace {

constexpr int kWidth = 65;
constexpr int kColumns[] = {29, 55, 65};

/// One row: each field cut to its column (leaving two spaces) and padded.
std::string row(const std::vector<std::string> &fields) {
  std::string line;
  for (size_t c = 0; c < fields.size(); ++c) {
    int start = c ? kColumns[c - 1] : 0;
    int space = c + 1 == fields.size() ? 0 : 2;
    std::string text =
        fields[c].substr(0, (size_t)std::max(kColumns[c] - start - space, 0));
    line += text;
    if ((int)line.size() < kColumns[c])
      line += std::string((size_t)kColumns[c] - line.size(), ' ');
  }
  return line + "\n";
}

std::string withCommas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

/// "(None, 28, 28)".
std::string shapeText(const Shape &s) {
  std::string out = "(None";
  for (int64_t d : s)
    out += ", " + std::to_string(d);
  return out + (s.empty() ? ",)" : ")");
}

/// A graph value's shape as Keras prints it: a symbolic batch is None.
std::string valueShapeText(const Shape &s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i)
    out += (i ? ", " : "") +
           (isSymbolic(s[i]) ? std::string("None") : std::to_string(s[i]));
  return out + (s.size() == 1 ? ",)" : ")");
}

/// For a loaded model, the output of each layer (a group of weights): the
/// last value that depends on its weights before the next layer's weights
/// are first read, so that a bias, an activation or a pool that follows a
/// layer's product counts as the layer's, as in a Keras stack.
std::map<std::string, std::string> loadedOutputShapes(const ModelImpl &m) {
  const Graph &g = m.loaded->graph;
  std::map<const Value *, size_t> groupOf;
  for (size_t i = 0; i < m.layers.size(); ++i)
    for (const std::string &w : m.layers[i].impl()->weightNames)
      groupOf[g.findValue(w)] = i;
  size_t groups = m.layers.size(), n = g.nodes().size();
  std::vector<size_t> firstRead(groups, n);
  std::map<const Value *, std::vector<bool>> reaches;
  for (size_t i = 0; i < n; ++i) {
    const adjoint::Node &node = *g.nodes()[i];
    std::vector<bool> r(groups, false);
    for (const Value *v : node.operands()) {
      if (auto it = groupOf.find(v); it != groupOf.end()) {
        r[it->second] = true;
        firstRead[it->second] = std::min(firstRead[it->second], i);
      }
      if (auto it = reaches.find(v); it != reaches.end())
        for (size_t k = 0; k < groups; ++k)
          r[k] = r[k] || it->second[k];
    }
    reaches[node.result()] = std::move(r);
  }
  // Values that read the labels (the loss, the accuracy) are not a
  // layer's output, nor are scalars, integers (an argmax) or a trailing
  // reshape (a Flatten, which has a row of its own in Keras).
  std::set<const Value *> labelled;
  if (m.loaded->training)
    if (const Value *labels = g.findValue(m.loaded->training->labels))
      labelled.insert(labels);
  for (const auto &node : g.nodes())
    for (const Value *v : node->operands())
      if (labelled.count(v))
        labelled.insert(node->result());
  std::map<std::string, std::string> out;
  for (size_t k = 0; k < groups; ++k) {
    size_t end = n;
    for (size_t h = 0; h < groups; ++h)
      if (firstRead[h] > firstRead[k])
        end = std::min(end, firstRead[h]);
    const Value *last = nullptr;
    for (size_t i = firstRead[k]; i < end; ++i) {
      const adjoint::Node &node = *g.nodes()[i];
      const Value *v = node.result();
      if (reaches[v][k] && !labelled.count(v) && v->type().rank() > 0 &&
          isFloat(v->type().dtype) && node.op() != OpKind::Reshape)
        last = v;
    }
    out[m.layers[k].name()] =
        last ? valueShapeText(last->type().shape) : std::string("?");
  }
  return out;
}

} // namespace

std::string summaryOf(const ModelImpl &m) {
  std::string out = "Model: \"" + m.name + "\"\n";
  out += std::string(kWidth, '_') + "\n";
  out += row({" Layer (type)", "Output Shape", "Param #"});
  out += std::string(kWidth, '=') + "\n";
  // Each layer's output shape: the nodes that call it (a layer called
  // twice has "multiple").
  std::map<const LayerImpl *, std::vector<const Node *>> calls;
  std::set<const Node *> seen;
  std::function<void(const std::shared_ptr<Node> &)> walk =
      [&](const std::shared_ptr<Node> &n) {
        if (!n || !seen.insert(n.get()).second)
          return;
        for (const auto &in : n->inputs)
          walk(in);
        if (n->layer)
          calls[n->layer.get()].push_back(n.get());
      };
  walk(m.output);
  std::vector<std::vector<std::string>> rows;
  if (!m.sequential)
    for (const auto &in : m.inputs)
      rows.push_back({" " + in->inputName + " (InputLayer)",
                      "[" + shapeText(in->shape) + "]", "0"});
  std::map<std::string, std::string> loadedShapes;
  if (m.loaded)
    loadedShapes = loadedOutputShapes(m);
  int64_t total = 0, trainable = 0;
  for (const Layer &l : m.layers) {
    const auto &nodes = calls[l.impl().get()];
    std::string shape = m.loaded            ? loadedShapes[l.name()]
                        : nodes.size() == 1 ? shapeText(nodes[0]->shape)
                        : nodes.empty()     ? "?"
                                            : "multiple";
    int64_t count = l.countParams();
    total += count;
    if (l.impl()->trainable)
      for (size_t i = 0; i < l.impl()->weights.size(); ++i)
        if (l.impl()->weightTrains(i))
          trainable += l.impl()->weights[i].numElements();
    rows.push_back({" " + l.name() + " (" + l.typeName() + ")", shape,
                    std::to_string(count)});
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    out += row(rows[i]);
    if (i + 1 < rows.size())
      out += std::string(kWidth, ' ') + "\n";
  }
  out += std::string(kWidth, '=') + "\n";
  out += "Total params: " + withCommas(total) + "\n";
  out += "Trainable params: " + withCommas(trainable) + "\n";
  out += "Non-trainable params: " + withCommas(total - trainable) + "\n";
  out += std::string(kWidth, '_') + "\n";
  return out;
}

} // namespace adjoint::keras::detail
