//===- GradientGraphTest.cpp - gradientGraph and the errors of grad -------===//
#include "compiler/autodiff/Grad.h"

#include "GradCheck.h"
#include "compiler/Executable.h"
#include "compiler/autodiff/GradRules.h"
#include "ir/Builder.h"
#include "ir/Error.h"
#include "ir/Interpreter.h"
#include "ir/TextFormat.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

std::string errorOf(const std::function<void()> &fn) {
  try {
    fn();
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

/// loss = mean((x @ w + b - t)^2) with an f32 input, an integer input and
/// three parameters (one of them unused).
Graph regression() {
  Graph g("regression");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {4, 3}});
  b.input("labels", {DType::I64, {4}});
  Value *w = b.param("w", {DType::F32, {3, 2}}, glorotUniform(3));
  Value *bias = b.param("b", {DType::F32, {2}}, glorotUniform(4));
  b.param("spare", {DType::F32, {5}}, zerosInit());
  b.param("steps", Tensor::scalar(DType::I64, 0));
  Value *diff = b.sub(b.dense(x, w, bias), b.scalar(DType::F32, 0.5));
  b.output("pred", diff);
  b.output("loss", b.reduceMean(b.mul(diff, diff), std::nullopt));
  return g;
}

TEST(GradientGraph, OutputsTheLossAndOneGradientPerFloatParameter) {
  Graph g = regression();
  Graph dg = gradientGraph(g, "loss");
  verify(dg);
  EXPECT_EQ(dg.name(), "regression_grad");
  std::vector<std::string> names;
  for (const Output &o : dg.outputs())
    names.push_back(o.name);
  EXPECT_EQ(names, (std::vector<std::string>{"loss", "grad.w", "grad.b",
                                             "grad.spare"}));
  for (const Output &o : dg.outputs())
    if (o.name != "loss")
      EXPECT_EQ(o.value->type(), dg.findValue(o.name.substr(5))->type());
  // The original is untouched.
  EXPECT_EQ(g.outputs().size(), 2u);
}

TEST(GradientGraph, TakesInputsAsWrtForSaliency) {
  Graph g = regression();
  Graph dg = gradientGraph(g, "loss", {"x", "w"});
  ASSERT_EQ(dg.outputs().size(), 3u);
  EXPECT_EQ(dg.outputs()[1].name, "grad.x");
  EXPECT_EQ(dg.outputs()[1].value->type(), (TensorType{DType::F32, {4, 3}}));
  Tensor x = Tensor::fromDoubles(
      DType::F32, {4, 3},
      std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2});
  Tensor labels =
      Tensor::fromDoubles(DType::I64, {4}, std::vector<double>{0, 1, 0, 1});
  auto out = interpret(dg, {{"x", x}, {"labels", labels}});
  auto jit = compile(dg, singleThread())->run({{"x", x}, {"labels", labels}});
  for (const auto &[name, t] : out)
    for (int64_t i = 0; i < t.numElements(); ++i)
      EXPECT_NEAR(jit.at(name).elementAsDouble(i), t.elementAsDouble(i),
                  1e-5 * (1 + std::fabs(t.elementAsDouble(i))))
          << name;
}

TEST(GradientGraph, PrintsParsesAndDifferentiatesAgain) {
  Graph g = regression();
  Model m{gradientGraph(g, "loss", {"w"}), std::nullopt};
  Model back = parseModel(printModel(m));
  EXPECT_EQ(printModel(back), printModel(m));
  // d/dw of sum(grad.w) through the gradient graph: a second derivative.
  Builder b(back.graph);
  Value *s =
      sumOf(b, back.graph.findValue(back.graph.outputs()[1].value->name()));
  b.output("s", s);
  Graph second = gradientGraph(back.graph, "s", {"w", "x"});
  verify(second);
  EXPECT_EQ(second.outputs().size(), 3u);
}

TEST(GradientGraph, KeepsParameterRecipesAndData) {
  Graph g = regression();
  Graph dg = gradientGraph(g, "loss");
  ASSERT_EQ(dg.params().size(), g.params().size());
  for (size_t i = 0; i < g.params().size(); ++i) {
    EXPECT_EQ(dg.params()[i].init, g.params()[i].init);
    EXPECT_TRUE(dg.params()[i].data.identical(g.params()[i].data));
  }
}

// --- Errors ---------------------------------------------------------------

TEST(GradErrors, NonScalarLoss) {
  Graph g = regression();
  std::string msg = errorOf([&] { gradientGraph(g, "pred"); });
  EXPECT_EQ(msg, "grad: the loss 'pred' (f32[4,2]) must be a scalar (reduce "
                 "it to one value first, for instance with reduce_mean)");
}

TEST(GradErrors, NonFloatLoss) {
  Graph g("g");
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  b.output("best", b.argmax(x, 0));
  std::string msg = errorOf([&] { gradientGraph(g, "best", {"x"}); });
  EXPECT_EQ(msg, "grad: the loss 'best' (i64[]) must have a float type "
                 "(f32, f64)");
}

TEST(GradErrors, UnknownLossOutput) {
  Graph g = regression();
  std::string msg = errorOf([&] { gradientGraph(g, "los"); });
  EXPECT_EQ(msg, "grad: the loss 'los' is not an output of graph "
                 "'regression' (outputs: pred, loss)");
}

TEST(GradErrors, UnknownWrtName) {
  Graph g = regression();
  EXPECT_EQ(errorOf([&] {
              gradientGraph(g, "loss", {"w", "v"});
            }),
            "grad: cannot differentiate with respect to 'v': graph "
            "'regression' has no input or parameter of that name");
  // A value computed by a node is not a name to differentiate by either.
  std::string node = g.outputs()[0].value->name();
  EXPECT_NE(errorOf([&] {
              gradientGraph(g, "loss", {node});
            }).find("has no input or parameter of that name"),
            std::string::npos);
}

TEST(GradErrors, WrtNamedTwice) {
  Graph g = regression();
  EXPECT_EQ(errorOf([&] {
              gradientGraph(g, "loss", {"w", "b", "w"});
            }),
            "grad: 'w' is named twice to differentiate with respect to");
}

TEST(GradErrors, IntegerWrt) {
  Graph g = regression();
  EXPECT_EQ(errorOf([&] { gradientGraph(g, "loss", {"labels"}); }),
            "grad: cannot differentiate with respect to 'labels' (i64[4]): "
            "only float values have gradients");
  EXPECT_EQ(errorOf([&] { gradientGraph(g, "loss", {"steps"}); }),
            "grad: cannot differentiate with respect to 'steps' (i64[]): "
            "only float values have gradients");
}

TEST(GradErrors, NoFloatParameters) {
  Graph g("g");
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  b.output("loss", sumOf(b, x));
  EXPECT_EQ(errorOf([&] { gradientGraph(g, "loss"); }),
            "grad: graph 'g' has no float parameter; name the inputs to "
            "differentiate with respect to");
}

TEST(GradErrors, OneErrorListsEveryOpWithoutARule) {
  Graph g("g");
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  Value *h = b.tanh(b.exp(b.tanh(x)));
  Value *loss = sumOf(b, b.add(h, b.sigmoid(x)));
  size_t before = g.nodes().size();
  auto lookup = [](OpKind op) -> autodiff::GradRule {
    return op == OpKind::Tanh || op == OpKind::Exp ? nullptr
                                                   : autodiff::gradientRule(op);
  };
  std::string msg =
      errorOf([&] { autodiff::appendGradientsWith(g, loss, {x}, lookup); });
  EXPECT_EQ(
      msg,
      "grad: no gradient rule for 2 ops between the loss and the "
      "wrt values: exp (node %" +
          h->definingNode()->operand(0)->name() + "); tanh (nodes %" +
          h->definingNode()->operand(0)->definingNode()->operand(0)->name() +
          ", %" + h->name() + ")");
  EXPECT_EQ(g.nodes().size(), before) << "nodes were appended before the error";
}

TEST(GradErrors, AValueOfAnotherGraph) {
  Graph g("g"), other("other");
  Builder b(g), ob(other);
  Value *x = b.input("x", f64({3}));
  Value *y = ob.input("x", f64({3}));
  Value *loss = sumOf(b, b.exp(x));
  EXPECT_NE(errorOf([&] {
              appendGradients(g, loss, {y});
            }).find("is not in graph 'g'"),
            std::string::npos);
}

} // namespace
