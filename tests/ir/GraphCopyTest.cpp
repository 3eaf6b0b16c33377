//===- GraphCopyTest.cpp - Deep copies of graphs --------------------------===//
#include "ir/GraphCopy.h"

#include "ir/Builder.h"
#include "ir/Interpreter.h"
#include "ir/TextFormat.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

using namespace adjoint;

namespace {

TensorType ty(DType d, Shape s) { return {d, std::move(s)}; }

/// A graph with two inputs, a recipe parameter, a literal parameter, a
/// constant and two outputs, one of them an input passed through.
Model sampleModel() {
  Model m{Graph("sample"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", ty(DType::F32, {2, 3}));
  Value *i = b.input("i", ty(DType::I64, {2}));
  Value *w = b.param("w", ty(DType::F32, {3, 4}), glorotUniform(7));
  Value *bias =
      b.param("bias", Tensor::fromDoubles(DType::F32, {4},
                                          std::vector<double>{1, 2, 3, 4}));
  Value *h = b.add(b.matmul(x, w), bias);
  Value *c = b.constant(
      Tensor::fromDoubles(DType::F32, {4}, std::vector<double>{0, 1, 0, 1}),
      "mask");
  b.output("y", b.gather(b.mul(h, c), i));
  b.output("x_again", x);
  return m;
}

TEST(GraphCopy, CopiesEverythingInOrder) {
  Model m = sampleModel();
  Model copy{copyGraph(m.graph), std::nullopt};
  verify(copy.graph);
  EXPECT_EQ(printModel(copy), printModel(m));
  ASSERT_EQ(copy.graph.params().size(), 2u);
  EXPECT_EQ(copy.graph.params()[0].init, m.graph.params()[0].init);
  EXPECT_FALSE(copy.graph.params()[1].init.has_value());

  std::map<std::string, Tensor> inputs = {
      {"x", Tensor::fromDoubles(DType::F32, {2, 3},
                                std::vector<double>{1, -2, 3, 0.5, 4, -1})},
      {"i", Tensor::fromDoubles(DType::I64, {2}, std::vector<double>{1, 0})}};
  auto want = interpret(m.graph, inputs), got = interpret(copy.graph, inputs);
  for (const auto &[name, t] : want)
    EXPECT_TRUE(got.at(name).identical(t)) << name;
}

TEST(GraphCopy, MapsEveryValueToItsCopy) {
  Model m = sampleModel();
  ValueMap map;
  Graph copy = copyGraph(m.graph, &map);
  size_t count = m.graph.inputs().size() + m.graph.params().size() +
                 m.graph.nodes().size();
  EXPECT_EQ(map.size(), count);
  for (const auto &[from, to] : map) {
    EXPECT_EQ(from->name(), to->name());
    EXPECT_EQ(from->type(), to->type());
    EXPECT_EQ(from->kind(), to->kind());
    EXPECT_EQ(copy.findValue(to->name()), to);
    EXPECT_NE(m.graph.findValue(from->name()), to);
  }
  for (size_t k = 0; k < m.graph.nodes().size(); ++k)
    EXPECT_EQ(map.at(m.graph.nodes()[k]->result()), copy.nodes()[k]->result());
}

TEST(GraphCopy, SharesNoStorage) {
  Model m = sampleModel();
  Graph copy = copyGraph(m.graph);
  for (size_t p = 0; p < copy.params().size(); ++p) {
    Tensor &data = copy.params()[p].data;
    EXPECT_NE(data.bytes(), m.graph.params()[p].data.bytes());
    double before = m.graph.params()[p].data.elementAsDouble(0);
    data.setElementFromDouble(0, before + 100);
    EXPECT_EQ(m.graph.params()[p].data.elementAsDouble(0), before);
  }
  const Node *original = m.graph.findValue("mask")->definingNode();
  const Node *cloned = copy.findValue("mask")->definingNode();
  EXPECT_NE(original->attr().getTensor("value").bytes(),
            cloned->attr().getTensor("value").bytes());
}

TEST(GraphCopy, NewNodesGetFreshNames) {
  Model m = sampleModel();
  Graph copy = copyGraph(m.graph);
  Builder b(copy);
  Value *v = b.neg(copy.findValue("x"));
  EXPECT_EQ(m.graph.findValue(v->name()), nullptr);
  verify(copy);
}

TEST(GraphCopy, CanLeaveTheOutputsOut) {
  Model m = sampleModel();
  ValueMap map;
  Graph copy = copyGraph(m.graph, &map, /*withOutputs=*/false);
  EXPECT_TRUE(copy.outputs().empty());
  EXPECT_EQ(copy.nodes().size(), m.graph.nodes().size());
  copy.addOutput("y", map.at(m.graph.outputs()[0].value));
  verify(copy);
}

TEST(GraphRebuilder, CopyingEveryNodeGivesTheSameGraph) {
  Model m = sampleModel();
  GraphRebuilder rb(m.graph);
  for (const auto &node : m.graph.nodes())
    rb.copy(*node);
  Model copy{rb.finish(), std::nullopt};
  verify(copy.graph);
  EXPECT_EQ(printModel(copy), printModel(m));
  EXPECT_EQ(copy.graph.params()[0].init, m.graph.params()[0].init);
}

TEST(GraphRebuilder, DropsAndReplacesNodesKeepingTheSignature) {
  // y = exp(neg(neg(x))) and a dead tanh(x), rebuilt as y = exp(x).
  Model m{Graph("g"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", ty(DType::F32, {3}));
  Value *n = b.neg(b.neg(x));
  b.output("y", b.exp(n));
  b.output("x_too", x);
  b.tanh(x); // dead

  GraphRebuilder rb(m.graph);
  const auto &nodes = m.graph.nodes();
  rb.map(nodes[1]->result(), rb.mapped(x)); // neg(neg(x)) is x
  rb.copy(*nodes[2]);                       // exp, now of x
  Model out{rb.finish(), std::nullopt};
  verify(out.graph);
  ASSERT_EQ(out.graph.nodes().size(), 1u);
  EXPECT_EQ(out.graph.nodes()[0]->operand(0), out.graph.inputs()[0]);
  EXPECT_EQ(out.graph.nodes()[0]->result()->name(), nodes[2]->result()->name());
  ASSERT_EQ(out.graph.outputs().size(), 2u);
  EXPECT_EQ(out.graph.outputs()[0].name, "y");
  EXPECT_EQ(out.graph.outputs()[1].name, "x_too");
  EXPECT_EQ(out.graph.outputs()[1].value, out.graph.inputs()[0]);
}

TEST(GraphRebuilder, FreshNamesAvoidBothGraphs) {
  // The old graph's nodes are named 0, 1, 2: a node added before they are
  // copied must not take one of their names.
  Model m{Graph("g"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", ty(DType::F32, {2}));
  b.output("y", b.relu(b.exp(b.neg(x))));
  GraphRebuilder rb(m.graph);
  Value *extra = rb.add(OpKind::Abs, {rb.mapped(x)}, {}, x->type());
  EXPECT_EQ(m.graph.findValue(extra->name()), nullptr);
  for (const auto &node : m.graph.nodes())
    rb.copy(*node);
  EXPECT_NE(rb.freshName(), extra->name());
  Graph out = rb.finish();
  verify(out);
  EXPECT_EQ(out.nodes().size(), 4u);
}

} // namespace
