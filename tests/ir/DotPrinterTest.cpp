//===- DotPrinterTest.cpp - Graphviz pictures of graphs -------------------===//
#include "ir/DotPrinter.h"

#include "ir/Builder.h"

#include <gtest/gtest.h>

using namespace adjoint;

namespace {

TensorType f32(Shape s) { return {DType::F32, std::move(s)}; }

size_t count(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1))
    ++n;
  return n;
}

TEST(DotPrinter, DrawsInputsParamsOpsAndOutputs) {
  Graph g("mlp");
  Builder b(g);
  Value *x = b.input("x", f32({2, 3}));
  Value *w = b.param("w", f32({3, 4}), glorotUniform(7));
  b.output("y", b.relu(b.matmul(x, w)));
  std::string dot = printDot(g);
  EXPECT_EQ(dot.rfind("digraph \"mlp\" {\n", 0), 0u) << dot;
  EXPECT_NE(dot.find("rankdir=TB"), std::string::npos);
  EXPECT_NE(dot.find("label=\"input %x\\nf32[2,3]\""), std::string::npos)
      << dot;
  EXPECT_NE(dot.find("label=\"param %w\\nf32[3,4]\\nglorot_uniform (seed 7)\""),
            std::string::npos)
      << dot;
  EXPECT_NE(dot.find("label=\"matmul\\n%0 : f32[2,4]\""), std::string::npos)
      << dot;
  EXPECT_NE(dot.find("label=\"output y\""), std::string::npos) << dot;
  // Edges: x and w into matmul, matmul into relu, relu into the output.
  EXPECT_EQ(count(dot, " -> "), 4u);
  EXPECT_NE(dot.find("[label=\"f32[2,3]\"]"), std::string::npos);
  EXPECT_EQ(dot.back(), '\n');
}

TEST(DotPrinter, ShowsKeyAttributes) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f32({1, 1, 8, 8}));
  Pool2DOptions opts;
  opts.kernel = {2, 2};
  opts.strides = {2, 2};
  b.output("y", b.reduceSum(b.maxPool2d(x, opts), std::vector<int64_t>{-1}));
  std::string dot = printDot(g);
  EXPECT_NE(dot.find("max_pool2d\\nkernel=[2,2]\\nstrides=[2,2]"),
            std::string::npos)
      << dot;
  EXPECT_NE(dot.find("reduce_sum\\naxes=[-1]"), std::string::npos) << dot;
}

TEST(DotPrinter, EscapesNames) {
  EXPECT_EQ(dotQuote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
  Graph g("say \"hi\"");
  Builder b(g);
  Value *x = b.input("x", f32({2}));
  b.output("out \"1\" \\", b.neg(x));
  std::string dot = printDot(g);
  EXPECT_EQ(dot.rfind("digraph \"say \\\"hi\\\"\" {", 0), 0u) << dot;
  EXPECT_NE(dot.find("label=\"output out \\\"1\\\" \\\\\""), std::string::npos)
      << dot;
}

TEST(DotPrinter, DrawsClustersAroundTheirNodes) {
  Graph g("fused");
  Builder b(g);
  Value *x = b.input("x", f32({4}));
  Value *e = b.exp(x);
  Value *n = b.neg(e);
  b.output("y", b.relu(n));
  const Node *exp = g.nodes()[0].get(), *neg = g.nodes()[1].get(),
             *relu = g.nodes()[2].get();
  DotOptions options;
  options.clusters = {{"kernel 0: loop", {exp, neg}},
                      {"kernel 1 \"single\"", {relu, neg}}};
  std::string dot = printDot(g, options);
  size_t c0 = dot.find("subgraph cluster_0 {");
  size_t c1 = dot.find("subgraph cluster_1 {");
  ASSERT_NE(c0, std::string::npos) << dot;
  ASSERT_NE(c1, std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"kernel 0: loop\";"), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"kernel 1 \\\"single\\\"\";"), std::string::npos)
      << dot;
  // Each node is declared once, inside the first cluster that lists it.
  std::string expId = "v1 [shape", negId = "v2 [shape", reluId = "v3 [shape";
  EXPECT_EQ(count(dot, expId), 1u) << dot;
  EXPECT_EQ(count(dot, negId), 1u) << dot;
  EXPECT_EQ(count(dot, reluId), 1u) << dot;
  size_t end0 = dot.find("  }\n", c0);
  EXPECT_LT(dot.find(expId), end0);
  EXPECT_LT(dot.find(negId), end0);
  EXPECT_GT(dot.find(reluId), c1);
  // Edges stay outside the clusters.
  EXPECT_EQ(dot.substr(c0, dot.find("  }\n", c1) - c0).find("->"),
            std::string::npos)
      << dot;
  EXPECT_EQ(count(dot, " -> "), 4u);
  // Without options the picture has no clusters.
  EXPECT_EQ(printDot(g).find("subgraph"), std::string::npos);
  EXPECT_EQ(printDot(g), printDot(g, DotOptions{}));
}

TEST(DotPrinter, ShowsNotesUnderNodes) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f32({2, 2}));
  Value *m = b.matmul(x, x);
  b.output("y", b.transpose(m));
  DotOptions options;
  options.notes[g.nodes()[1].get()] = "not fused: \"reads out of order\"";
  std::string dot = printDot(g, options);
  EXPECT_NE(dot.find("transpose\\n%1 : f32[2,2]\\nnot fused: "
                     "\\\"reads out of order\\\"\""),
            std::string::npos)
      << dot;
  EXPECT_EQ(count(dot, "color=\"#cc0000\""), 1u) << dot;
  EXPECT_EQ(printDot(g).find("not fused"), std::string::npos);
}

} // namespace
