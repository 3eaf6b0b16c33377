//===- LayersTest.cpp - Transformer layers: values, JIT, gradients, errors
//-===//
//
// The layers of ir/Layers.h four ways: values computed by hand, the
// interpreter against the JIT on random data, gradients against central
// differences in f64, and bad input.
//
//===----------------------------------------------------------------------===//
#include "ir/Layers.h"
#include "GradCheck.h"
#include "compiler/autodiff/Grad.h"
#include "compiler/training/Trainer.h"
#include "ir/Error.h"
#include "ir/Interpreter.h"
#include "ir/Losses.h"
#include "ir/Specialize.h"
#include "tests/support/Scans.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

TensorType f32(Shape s) { return {DType::F32, std::move(s)}; }

/// The value of parameter `name` of `g`, to set by hand.
Tensor &paramData(Graph &g, const std::string &name) {
  for (Param &p : g.params())
    if (p.value->name() == name)
      return p.data;
  throw std::runtime_error("no parameter " + name);
}

TEST(Layers, GeluAndLayerNormByHand) {
  Graph g("m");
  Builder b(g);
  Value *x = b.input("x", f64({1, 4}));
  b.output("gelu", gelu(b, x));
  b.output("ln", layerNorm(b, x, "ln", 0.0));
  auto out = runBoth(
      g, {{"x", Tensor::fromDoubles(DType::F64, {1, 4},
                                    std::vector<double>{-1, 0, 1, 2})}});
  // 0.5 x (1 + erf(x / sqrt 2)).
  expectValues(out.at("gelu"), {-0.15865525393145707, 0, 0.8413447460685429,
                                1.9544997361036416});
  // Mean 0.5, biased variance 1.25.
  double s = std::sqrt(1.25);
  expectValues(out.at("ln"), {-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s});
}

TEST(Layers, AttentionByHand) {
  // One head of width 2 over two positions, every projection the identity:
  // each position's output is the softmax(q k^T / sqrt 2)-weighted mean of
  // the values, which are the inputs.
  for (bool causal : {false, true}) {
    Graph g("m");
    Builder b(g);
    Value *x = b.input("x", f64({1, 2, 2}));
    b.output("y", multiHeadAttention(b, x, 1, "a", 1, causal));
    for (const char *w : {"a_wq", "a_wk", "a_wv", "a_wo"})
      paramData(g, w) = Tensor::fromDoubles(DType::F64, {2, 2},
                                            std::vector<double>{1, 0, 0, 1});
    std::vector<double> xs = {1, 0, 0.5, 2};
    auto y = runBoth(g, {{"x", Tensor::fromDoubles(DType::F64, {1, 2, 2}, xs)}})
                 .at("y");
    std::vector<double> want;
    for (int i = 0; i < 2; ++i) {
      double s[2], total = 0;
      for (int j = 0; j < 2; ++j) {
        s[j] = causal && j > i ? 0
                               : std::exp((xs[i * 2] * xs[j * 2] +
                                           xs[i * 2 + 1] * xs[j * 2 + 1]) /
                                          std::sqrt(2.0));
        total += s[j];
      }
      for (int c = 0; c < 2; ++c)
        want.push_back((s[0] * xs[c] + s[1] * xs[2 + c]) / total);
    }
    expectValues(y, want, 1e-9);
  }
}

TEST(Layers, SinusoidalPositions) {
  Graph g("m");
  Builder b(g);
  Value *x = b.input("x", f64({1, 3, 4}));
  b.output("y", addSinusoidalPositions(b, x));
  auto y = runBoth(g, {{"x", Tensor(f64({1, 3, 4}))}}).at("y");
  // Position 2: sin(2), cos(2), sin(2 / 100), cos(2 / 100).
  EXPECT_NEAR(y.elementAsDouble(8), std::sin(2.0), 1e-12);
  EXPECT_NEAR(y.elementAsDouble(9), std::cos(2.0), 1e-12);
  EXPECT_NEAR(y.elementAsDouble(10), std::sin(0.02), 1e-12);
  EXPECT_NEAR(y.elementAsDouble(11), std::cos(0.02), 1e-12);
}

/// An encoder stack on a symbolic batch, with embeddings and positions.
Graph encoder(bool normFirst, bool causal, bool relu) {
  Graph g("enc");
  Builder b(g);
  int64_t n = symbolicDim(internSymbol("N"));
  Value *ids = b.input("ids", {DType::I64, {n, 5}});
  Value *h = embedding(b, ids, 11, 8, "emb", 1);
  h = addLearnedPositions(b, h, "pos", 2);
  TransformerOptions o;
  o.heads = 2;
  o.feedForward = 16;
  o.normFirst = normFirst;
  o.causal = causal;
  o.gelu = !relu;
  h = transformerEncoderLayer(b, h, "enc1", o);
  o.seed = 9;
  h = transformerEncoderLayer(b, h, "enc2", o);
  b.output("y", h);
  return g;
}

TEST(Layers, EncoderInterpreterMatchesJit) {
  for (int variant = 0; variant < 4; ++variant) {
    SCOPED_TRACE(variant);
    Graph g = encoder(variant & 1, variant & 2, variant == 3);
    auto exe = compile(g, singleThread()); // one compile for every batch
    for (int64_t batch : {1, 3}) {
      std::vector<double> ids;
      for (int64_t i = 0; i < batch * 5; ++i)
        ids.push_back((double)((i * 7 + variant) % 11));
      std::map<std::string, Tensor> in = {
          {"ids", Tensor::fromDoubles(DType::I64, {batch, 5}, ids)}};
      Tensor want = interpret(specialize(g, bindSymbols(g, in)), in).at("y");
      Tensor got = exe->run(in).at("y");
      ASSERT_EQ(got.type(), want.type());
      for (int64_t i = 0; i < want.numElements(); ++i)
        EXPECT_NEAR(got.elementAsDouble(i), want.elementAsDouble(i),
                    1e-4 * (1 + std::abs(want.elementAsDouble(i))))
            << i;
    }
  }
}

TEST(Layers, GradientsMatchFiniteDifferences) {
  for (bool normFirst : {false, true})
    expectGradientsMatch([&](CaseBuilder &b) {
      Value *x = b.uniform({2, 3, 4}, -1, 1);
      TransformerOptions o;
      o.heads = 2;
      o.feedForward = 6;
      o.normFirst = normFirst;
      o.causal = normFirst;
      Value *h = transformerEncoderLayer(b, x, "enc", o);
      return addSinusoidalPositions(b, h);
    });
  expectGradientsMatch(
      [](CaseBuilder &b) { return gelu(b, b.uniform({7}, -3, 3)); });
}

TEST(Layers, BadInputNamesTheLayer) {
  Graph g("m");
  Builder b(g);
  Value *x = b.input("x", f32({2, 5, 6}));
  Value *flat = b.input("flat", f32({2, 6}));
  Value *ids = b.input("ids", f32({2, 5}));
  EXPECT_NE(errorMessage([&] {
              multiHeadAttention(b, x, 4, "a", 1);
            }).find("4 heads do not divide the 6 features"),
            std::string::npos);
  EXPECT_NE(errorMessage([&] {
              transformerEncoderLayer(b, flat, "e");
            }).find("transformerEncoderLayer: needs a float sequence"),
            std::string::npos);
  EXPECT_NE(errorMessage([&] {
              embedding(b, ids, 10, 4, "emb", 1);
            }).find("embedding emb: needs i32 or i64 ids"),
            std::string::npos);
  EXPECT_NE(errorMessage([&] {
              gelu(b, b.cast(ids, DType::I64));
            }).find("gelu: needs a float operand"),
            std::string::npos);
}

} // namespace

namespace {

/// y = dropout(x) at rate 0.25 with seed 3, over x [4, 1000].
Graph dropoutModel() {
  Graph g("m");
  Builder b(g);
  Value *x = b.input("x", f64({4, 1000}));
  b.output("y", dropout(b, x, 0.25, 3));
  return g;
}

std::map<std::string, Tensor> dropoutInputs(int64_t step) {
  std::vector<double> x(4000);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = 1 + (double)(i % 7);
  return {{"x", Tensor::fromDoubles(DType::F64, {4, 1000}, x)},
          {"step", Tensor::scalar(DType::I64, (double)step)}};
}

TEST(Layers, DropoutMaskFollowsSeedAndStep) {
  Graph g = dropoutModel();
  auto exe = compile(g, singleThread());
  Tensor a = exe->run(dropoutInputs(7)).at("y");
  Tensor again = interpret(g, dropoutInputs(7)).at("y");
  Tensor next = exe->run(dropoutInputs(8)).at("y");
  EXPECT_TRUE(a.identical(again)) << "the same seed and step, another mask";
  EXPECT_FALSE(a.identical(next)) << "the next step kept the mask";
  // About 1 - rate of the elements are kept, each times 1 / (1 - rate).
  Tensor x = dropoutInputs(7).at("x");
  int64_t kept = 0;
  for (int64_t i = 0; i < a.numElements(); ++i) {
    double v = a.elementAsDouble(i);
    if (v != 0) {
      ++kept;
      EXPECT_EQ(v, x.elementAsDouble(i) * (1 / 0.75)) << i;
    }
  }
  EXPECT_NEAR((double)kept / 4000, 0.75, 0.02);
}

TEST(Layers, DropoutIsTheIdentityForInference) {
  Graph g = withoutDropout(dropoutModel());
  EXPECT_EQ(g.inputs().size(), 1u) << "the step input stays";
  for (const auto &n : g.nodes())
    EXPECT_NE(n->op(), OpKind::Dropout);
  auto in = dropoutInputs(7);
  in.erase("step");
  EXPECT_TRUE(interpret(g, in).at("y").identical(in.at("x")));
}

TEST(Layers, DropoutInAScanBodyIsTheIdentityForInference) {
  // h_{t+1} = h_t + dropout(x_t) over 4 steps, the step input reaching the
  // body as an invariant operand: for inference the dropout is the
  // identity, the scan no longer takes the step, and the graph drops it.
  Graph g("m");
  Builder b(g);
  Value *h0 = b.input("h0", f64({2, 3}));
  Value *x = b.input("x", f64({4, 2, 3}));
  Value *step = trainingStep(b);
  b.output(
      "hs",
      adjoint::testing::scanOf(
          b, {h0, x, step}, 1, false, [](Builder &bb, std::vector<Value *> in) {
            Attributes a;
            a.set("rate", 0.5);
            a.set("seed", (int64_t)3);
            return bb.add(in[0], bb.op(OpKind::Dropout, {in[1], in[2]}, a));
          }));
  Graph inference = withoutDropout(g);
  EXPECT_EQ(inference.findValue(kStepInput), nullptr);
  const Node *scan = inference.outputs()[0].value->definingNode();
  ASSERT_EQ(scan->op(), OpKind::Scan);
  EXPECT_EQ(scan->operands().size(), 2u);
  for (const auto &n : scan->attr().getGraph("body").nodes())
    EXPECT_NE(n->op(), OpKind::Dropout);
  std::vector<double> h(6), xs(24);
  for (size_t i = 0; i < xs.size(); ++i)
    xs[i] = 0.25 * (double)i - 2;
  auto out = interpret(inference,
                       {{"h0", Tensor::fromDoubles(DType::F64, {2, 3}, h)},
                        {"x", Tensor::fromDoubles(DType::F64, {4, 2, 3}, xs)}});
  for (int t = 0; t < 4; ++t)
    for (int i = 0; i < 6; ++i) {
      h[i] += xs[t * 6 + i];
      EXPECT_EQ(out.at("hs").elementAsDouble(t * 6 + i), h[i]);
    }
  EXPECT_NO_THROW(compile(inference, singleThread()));
}

TEST(Layers, DropoutGradientUsesTheForwardMask) {
  Graph g("m");
  Builder b(g);
  Value *x = b.input("x", f64({4, 1000}));
  Value *y = dropout(b, x, 0.25, 3);
  b.output("y", y);
  b.output("loss", b.reduceSum(y, std::nullopt));
  Graph dg = gradientGraph(g, "loss", {"x"});
  auto out = compile(dg, singleThread())->run(dropoutInputs(11));
  Tensor forward = interpret(g, dropoutInputs(11)).at("y");
  Tensor grad = out.at("grad.x"), xs = dropoutInputs(11).at("x");
  for (int64_t i = 0; i < grad.numElements(); ++i)
    EXPECT_EQ(grad.elementAsDouble(i),
              forward.elementAsDouble(i) / xs.elementAsDouble(i))
        << i;
}

TEST(Layers, TrainerBindsTheStepToDropout) {
  // lr 0: the parameters never change, so the losses differ only by the
  // mask of each step; a second Trainer draws the same ones.
  auto losses = [] {
    TrainingSpec spec("loss");
    spec.features = "x";
    spec.labels = "y";
    OptimizerConfig sgd;
    sgd.kind = OptimizerKind::Sgd;
    sgd.set(OptimizerField::Lr, 0);
    spec.optimizer = sgd;
    Model m{Graph("m"), spec};
    Builder b(m.graph);
    Value *x = b.input("x", f32({2, 8}));
    Value *y = b.input("y", {DType::I64, {2}});
    Value *w = b.param("w", f32({8, 3}), glorotUniform(1));
    Value *logits = b.matmul(dropout(b, x, 0.5, 9), w);
    b.output("logits", logits);
    b.output("loss", sparseSoftmaxCrossEntropy(b, logits, y));
    Trainer t(m);
    std::map<std::string, Tensor> batch = {
        {"x",
         Tensor::fromDoubles(DType::F32, {2, 8}, std::vector<double>(16, 1.0))},
        {"y", Tensor::fromDoubles(DType::I64, {2}, std::vector<double>{0, 2})}};
    std::vector<double> out;
    for (int i = 0; i < 3; ++i)
      out.push_back(t.step(batch).loss);
    return out;
  };
  std::vector<double> first = losses(), second = losses();
  EXPECT_EQ(first, second);
  EXPECT_NE(first[0], first[1]);
}

TEST(Layers, DropoutBadInput) {
  Graph g("m");
  Builder b(g);
  Value *x = b.input("x", f32({2}));
  EXPECT_THROW(dropout(b, x, 1.0, 0), Error);
  EXPECT_THROW(dropout(b, b.input("i", {DType::I32, {2}}), 0.5, 0), Error);
  b.input("step", f32({}));
  try {
    dropout(b, x, 0.5, 0);
    ADD_FAILURE() << "a step input of the wrong type was taken";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("is not the step input"),
              std::string::npos);
  }
}

} // namespace
