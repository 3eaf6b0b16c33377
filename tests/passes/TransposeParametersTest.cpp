//===- TransposeParametersTest.cpp - Parameters transposed when compiled --===//
#include "compiler/passes/TransposeParameters.h"

#include "compiler/Executable.h"
#include "ir/Builder.h"
#include "ir/Interpreter.h"
#include "tests/support/RandomTensor.h"

#include <gtest/gtest.h>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

/// A dense layer whose weights are stored [out, in], as PyTorch's Linear.
Graph linearLayer() {
  Graph g("linear");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {8, 6}});
  Tensor w(TensorType{DType::F32, {5, 6}});
  for (int64_t i = 0; i < w.numElements(); ++i)
    w.setElementFromDouble(i, 0.25 * double(i % 7) - 0.5);
  Value *wv = g.addParam("w", std::move(w));
  Value *wt = b.transpose(wv, {1, 0});
  b.output("y", b.relu(b.matmul(x, wt)));
  b.output("wt", wt); // a transpose that is an output stays a node
  b.output("z", b.matmul(x, b.transpose(wv, {1, 0})));
  // A batch-1 product reads the weight transposed, as it is stored.
  Value *one = b.input("one", {DType::F32, {1, 6}});
  b.output("single", b.matmul(one, b.transpose(wv, {1, 0})));
  return g;
}

TEST(TransposeParameters, TransposesOfParametersBecomeParameters) {
  Graph g = linearLayer();
  transposeParameters(g);
  int transposes = 0;
  for (const auto &node : g.nodes())
    transposes += node->op() == OpKind::Transpose;
  EXPECT_EQ(transposes, 2); // the output one, the batch-1 product's
  const Param *wt = g.findParam(g.findValue("w.T"));
  ASSERT_NE(wt, nullptr);
  EXPECT_EQ(wt->data.type(), (TensorType{DType::F32, {6, 5}}));
  const Param *w = g.findParam(g.findValue("w"));
  ASSERT_NE(w, nullptr); // the signature keeps the original
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 5; ++j)
      EXPECT_EQ(wt->data.elementAsDouble(i * 5 + j),
                w->data.elementAsDouble(j * 6 + i));
}

TEST(TransposeParameters, CompiledCodeComputesTheSame) {
  Graph g = linearLayer();
  auto inputs = randomInputs(g, 3, false);
  auto want = interpret(g, inputs);
  for (bool fixed : {true, false}) {
    CompileOptions options;
    options.fixedParameters = fixed;
    auto got = compile(g, options)->run(inputs);
    for (const auto &[name, t] : want)
      for (int64_t i = 0; i < t.numElements(); ++i)
        EXPECT_NEAR(got.at(name).elementAsDouble(i), t.elementAsDouble(i), 1e-5)
            << name << " element " << i << " fixed " << fixed;
  }
}

} // namespace
