//===- GradTest.cpp - The gradient transform: rules, graphs, errors -------===//
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

#include <algorithm>
#include <cmath>

using namespace adjoint;
using adjoint::testing::singleThread;

namespace {

TensorType f64(Shape s) { return {DType::F64, std::move(s)}; }

Tensor vec(std::vector<double> v) {
  return Tensor::fromDoubles(DType::F64, {(int64_t)v.size()}, v);
}

std::vector<double> values(const Tensor &t) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.numElements(); ++i)
    out.push_back(t.elementAsDouble(i));
  return out;
}

/// Runs `g` on the interpreter and the JIT; expects them to agree and
/// returns the interpreter's outputs.
std::map<std::string, Tensor> runBoth(const Graph &g,
                                      const std::map<std::string, Tensor> &in) {
  verify(g);
  auto want = interpret(g, in);
  auto got = compile(g, singleThread())->run(in);
  for (const auto &[name, t] : want) {
    std::vector<double> a = values(got.at(name)), b = values(t);
    EXPECT_EQ(a.size(), b.size()) << name;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
      if (!(std::isnan(a[i]) && std::isnan(b[i])))
        EXPECT_NEAR(a[i], b[i], 1e-12 * (1 + std::fabs(b[i])))
            << name << "[" << i << "]";
  }
  return want;
}

void expectValues(const Tensor &t, std::vector<double> want,
                  double tol = 1e-12) {
  std::vector<double> got = values(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * (1 + std::fabs(want[i])))
        << "[" << i << "]";
}

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

/// loss = sum(f(x)) for an f64 input x.
Value *sumOf(Builder &b, Value *v) { return b.reduceSum(v, std::nullopt); }

// --- Conventions ----------------------------------------------------------

TEST(Grad, SumsTheGradientsOfSeveralConsumers) {
  // y = x*x + exp(x) + x: dy/dx = 2x + exp(x) + 1
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  Value *loss = sumOf(b, b.add(b.add(b.mul(x, x), b.exp(x)), x));
  b.output("dx", appendGradients(g, loss, {x})[0]);
  auto out = runBoth(g, {{"x", vec({0.5, -1, 2})}});
  std::vector<double> want;
  for (double v : {0.5, -1.0, 2.0})
    want.push_back(2 * v + std::exp(v) + 1);
  expectValues(out.at("dx"), want);
}

TEST(Grad, ReducesBroadcastOperandsToTheirShape) {
  // loss = sum(a[2,1,3] * b[4,1]): da = sum over the broadcast axes of b.
  Graph g;
  Builder b(g);
  Value *a = b.input("a", f64({2, 1, 3}));
  Value *c = b.input("b", f64({4, 1}));
  auto grads = appendGradients(g, sumOf(b, b.mul(a, c)), {a, c});
  EXPECT_EQ(grads[0]->type(), a->type());
  EXPECT_EQ(grads[1]->type(), c->type());
  b.output("da", grads[0]);
  b.output("db", grads[1]);
  auto out = runBoth(
      g, {{"a", Tensor::fromDoubles(DType::F64, {2, 1, 3},
                                    std::vector<double>{1, 2, 3, 4, 5, 6})},
          {"b", Tensor::fromDoubles(DType::F64, {4, 1},
                                    std::vector<double>{1, 2, 3, 4})}});
  expectValues(out.at("da"), {10, 10, 10, 10, 10, 10});
  expectValues(out.at("db"), {21, 21, 21, 21});
}

TEST(Grad, GivesZerosForAValueTheLossDoesNotDependOn) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  Value *unused = b.param("unused", f64({2, 2}), zerosInit());
  Value *viaArgmax = b.input("via_argmax", f64({3}));
  Value *viaInt = b.input("via_int", f64({3}));
  Value *loss =
      b.add(sumOf(b, b.mul(x, x)), b.cast(b.argmax(viaArgmax, 0), DType::F64));
  loss = b.add(loss, sumOf(b, b.cast(b.cast(viaInt, DType::I32), DType::F64)));
  auto grads = appendGradients(g, loss, {unused, viaArgmax, viaInt});
  for (size_t i = 0; i < grads.size(); ++i)
    b.output("g" + std::to_string(i), grads[i]);
  EXPECT_EQ(grads[0]->type(), unused->type());
  Tensor three = vec({1, 2, 3});
  auto out =
      runBoth(g, {{"x", three}, {"via_argmax", three}, {"via_int", three}});
  expectValues(out.at("g0"), {0, 0, 0, 0});
  expectValues(out.at("g1"), {0, 0, 0});
  expectValues(out.at("g2"), {0, 0, 0});
}

TEST(Grad, OfTheLossItselfIsOne) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({}));
  Value *loss = b.exp(x);
  auto grads = appendGradients(g, loss, {loss, x});
  b.output("dloss", grads[0]);
  b.output("dx", grads[1]);
  auto out = runBoth(g, {{"x", Tensor::scalar(DType::F64, 1)}});
  expectValues(out.at("dloss"), {1});
  expectValues(out.at("dx"), {std::exp(1.0)});
}

TEST(Grad, VisitsOnlyNodesBetweenWrtAndLoss) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  Value *w = b.input("w", f64({3}));
  b.output("other", b.tanh(w)); // not on the way to the loss
  Value *loss = sumOf(b, b.mul(b.exp(w), x));
  size_t before = g.nodes().size();
  appendGradients(g, loss, {x});
  // d/dx sum(exp(w) * x) = exp(w): no node differentiates exp or tanh, so
  // the new nodes are the seed 1, reduce_sum's broadcast and one mul (and
  // nothing else).
  for (size_t i = before; i < g.nodes().size(); ++i) {
    OpKind op = g.nodes()[i]->op();
    EXPECT_TRUE(op == OpKind::Constant || op == OpKind::BroadcastTo ||
                op == OpKind::Reshape || op == OpKind::Mul)
        << opName(op);
  }
}

TEST(Grad, HandlesEmptyTensors) {
  // x [0,3] broadcasts against b [3]: b's gradient sums over an empty axis.
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({0, 3}));
  Value *bias = b.input("b", f64({3}));
  Value *m = b.input("m", f64({2, 0}));
  Value *loss = b.add(sumOf(b, b.exp(b.add(x, bias))),
                      sumOf(b, b.matmul(m, x)));
  loss = b.add(loss, sumOf(b, bias));
  auto grads = appendGradients(g, loss, {x, bias, m});
  b.output("dx", grads[0]);
  b.output("db", grads[1]);
  b.output("dm", grads[2]);
  auto out = runBoth(g, {{"x", Tensor(f64({0, 3}))},
                         {"b", vec({1, 2, 3})},
                         {"m", Tensor(f64({2, 0}))}});
  EXPECT_EQ(out.at("dx").shape(), (Shape{0, 3}));
  EXPECT_EQ(out.at("dm").shape(), (Shape{2, 0}));
  expectValues(out.at("db"), {1, 1, 1});
}

// --- Rules at special points ----------------------------------------------

TEST(Grad, TiesOfMaximumAndMinimumGoToTheFirstOperand) {
  Graph g;
  Builder b(g);
  Value *a = b.input("a", f64({3}));
  Value *c = b.input("b", f64({3}));
  auto gmax = appendGradients(g, sumOf(b, b.maximum(a, c)), {a, c});
  auto gmin = appendGradients(g, sumOf(b, b.minimum(a, c)), {a, c});
  b.output("max_a", gmax[0]);
  b.output("max_b", gmax[1]);
  b.output("min_a", gmin[0]);
  b.output("min_b", gmin[1]);
  auto out = runBoth(g, {{"a", vec({1, 2, 0})}, {"b", vec({1, 3, -1})}});
  expectValues(out.at("max_a"), {1, 0, 1});
  expectValues(out.at("max_b"), {0, 1, 0});
  expectValues(out.at("min_a"), {1, 1, 0});
  expectValues(out.at("min_b"), {0, 0, 1});
}

TEST(Grad, TiesOfReduceMaxAndMinShareTheGradientEqually) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({2, 4}));
  Value *w = b.constant(
      Tensor::fromDoubles(DType::F64, {2}, std::vector<double>{1, 10}));
  Value *lossMax = sumOf(b, b.mul(b.reduceMax(x, std::vector<int64_t>{1}), w));
  Value *lossMin = sumOf(b, b.mul(b.reduceMin(x, std::vector<int64_t>{-1}), w));
  b.output("dmax", appendGradients(g, lossMax, {x})[0]);
  b.output("dmin", appendGradients(g, lossMin, {x})[0]);
  auto out = runBoth(
      g, {{"x",
           Tensor::fromDoubles(DType::F64, {2, 4},
                               std::vector<double>{1, 3, 3, 2, 5, 5, 5, 0})}});
  expectValues(out.at("dmax"),
               {0, 0.5, 0.5, 0, 10 / 3.0, 10 / 3.0, 10 / 3.0, 0});
  expectValues(out.at("dmin"), {1, 0, 0, 0, 0, 0, 0, 10});
}

TEST(Grad, KinksAtZeroGiveZero) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  b.output("relu", appendGradients(g, sumOf(b, b.relu(x)), {x})[0]);
  b.output("abs", appendGradients(g, sumOf(b, b.abs(x)), {x})[0]);
  b.output("sign", appendGradients(g, sumOf(b, b.sign(x)), {x})[0]);
  auto out = runBoth(g, {{"x", vec({-1, 0, 2})}});
  expectValues(out.at("relu"), {0, 0, 1});
  expectValues(out.at("abs"), {-1, 0, 1});
  expectValues(out.at("sign"), {0, 0, 0});
}

TEST(Grad, PowWithAZeroBaseHasAFiniteExponentGradient) {
  // d/db a^b = a^b log(a), taken as 0 where a = 0; the second derivative
  // in b is finite there too.
  Graph g;
  Builder b(g);
  Value *a = b.input("a", f64({3}));
  Value *e = b.input("b", f64({3}));
  Value *loss = sumOf(b, b.pow(a, e));
  auto first = appendGradients(g, loss, {a, e});
  Value *second = appendGradients(g, sumOf(b, first[1]), {e})[0];
  b.output("da", first[0]);
  b.output("db", first[1]);
  b.output("db2", second);
  auto out = runBoth(g, {{"a", vec({0, 0, 2})}, {"b", vec({2, 0, 3})}});
  expectValues(out.at("da"), {0, 0, 12});
  expectValues(out.at("db"), {0, 0, 8 * std::log(2.0)});
  expectValues(out.at("db2"), {0, 0, 8 * std::log(2.0) * std::log(2.0)});
}

// --- Second derivatives ---------------------------------------------------

/// f''(x) for x = {-1.3, 0.4, 2.1} (positive for log), through the
/// interpreter and the JIT: loss = sum(f(x)), then sum(f'(x)).
void expectSecondDerivative(const std::function<Value *(Builder &, Value *)> &f,
                            const std::function<double(double)> &want,
                            bool positive = false) {
  Graph g;
  Builder b(g);
  Value *x = b.input("x", f64({3}));
  Value *first = appendGradients(g, sumOf(b, f(b, x)), {x})[0];
  Value *second = appendGradients(g, sumOf(b, first), {x})[0];
  b.output("d2", second);
  std::vector<double> xs = positive ? std::vector<double>{0.3, 1.4, 2.1}
                                    : std::vector<double>{-1.3, 0.4, 2.1};
  auto out = runBoth(g, {{"x", vec(xs)}});
  std::vector<double> expected;
  for (double v : xs)
    expected.push_back(want(v));
  expectValues(out.at("d2"), expected, 1e-12);
}

TEST(GradSecondOrder, Tanh) {
  expectSecondDerivative([](Builder &b, Value *x) { return b.tanh(x); },
                         [](double x) {
                           double t = std::tanh(x);
                           return -2 * t * (1 - t * t);
                         });
}

TEST(GradSecondOrder, Sigmoid) {
  expectSecondDerivative([](Builder &b, Value *x) { return b.sigmoid(x); },
                         [](double x) {
                           double s = 1 / (1 + std::exp(-x));
                           return s * (1 - s) * (1 - 2 * s);
                         });
}

TEST(GradSecondOrder, Exp) {
  expectSecondDerivative([](Builder &b, Value *x) { return b.exp(x); },
                         [](double x) { return std::exp(x); });
}

TEST(GradSecondOrder, Log) {
  expectSecondDerivative([](Builder &b, Value *x) { return b.log(x); },
                         [](double x) { return -1 / (x * x); }, true);
}

TEST(GradSecondOrder, MulOfACube) {
  // (x*x*x)'' = 6x
  expectSecondDerivative(
      [](Builder &b, Value *x) { return b.mul(b.mul(x, x), x); },
      [](double x) { return 6 * x; });
}

TEST(GradSecondOrder, MixedPartialsOfMul) {
  // loss = sum(a*b): d/da = b; d/da sum(b) = 0 (zeros), d/db sum(b) = 1.
  Graph g;
  Builder b(g);
  Value *a = b.input("a", f64({2}));
  Value *c = b.input("b", f64({2}));
  Value *da = appendGradients(g, sumOf(b, b.mul(a, c)), {a})[0];
  auto second = appendGradients(g, sumOf(b, da), {a, c});
  b.output("daa", second[0]);
  b.output("dab", second[1]);
  auto out = runBoth(g, {{"a", vec({1, 2})}, {"b", vec({3, 4})}});
  expectValues(out.at("daa"), {0, 0});
  expectValues(out.at("dab"), {1, 1});
}

// --- gradientGraph --------------------------------------------------------

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
