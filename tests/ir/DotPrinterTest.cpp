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

} // namespace
