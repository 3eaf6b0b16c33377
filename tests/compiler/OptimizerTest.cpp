//===- OptimizerTest.cpp - Optimizer updates against hand-computed steps --===//
//
// Each optimizer takes two steps on p = [1, -2, 0.5] with the gradients
// [0.1, 0.2, -0.3] and then [-0.2, 0.4, 0.1]. The expected values were
// computed in f64 with the formulas of Optimizer.h written out in plain
// Python, and each step runs through both the interpreter and compile().
//
//===----------------------------------------------------------------------===//
#include "compiler/training/Optimizer.h"

#include "compiler/Executable.h"
#include "ir/Error.h"
#include "ir/Interpreter.h"
#include "tests/compiler/JitTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <optional>

using namespace adjoint;

namespace {

const std::vector<double> kParam = {1, -2, 0.5};
const std::vector<std::vector<double>> kGrads = {{0.1, 0.2, -0.3},
                                                 {-0.2, 0.4, 0.1}};

/// What one optimizer should give: the parameter after steps 1 and 2, and
/// each state slot after step 2.
struct Expected {
  std::vector<double> param1, param2;
  std::vector<std::vector<double>> state2;
};

/// A graph that takes one step: inputs p, g, one per state slot and the
/// step counter; outputs "p", each slot, and "step", all updated.
Graph stepGraph(const OptimizerSpec &spec, DType dt) {
  Graph g("step");
  Builder b(g);
  TensorType type{dt, {3}};
  Value *p = b.input("p", type);
  Value *grad = b.input("g", type);
  std::vector<OptimizerSlot> slots = optimizerSlots(spec, type);
  std::vector<Value *> state;
  for (const OptimizerSlot &slot : slots)
    state.push_back(b.input(slot.suffix, slot.type));
  Value *step =
      usesStepCounter(spec) ? b.input("step", stepCounterType()) : nullptr;
  ParamUpdate u = appendUpdate(b, spec, p, grad, state, step);
  b.output("p.new", u.param);
  for (size_t i = 0; i < slots.size(); ++i)
    b.output(slots[i].suffix + ".new", u.state[i]);
  if (step)
    b.output("step.new", appendStepIncrement(b, step));
  return g;
}

using Runner = std::function<std::map<std::string, Tensor>(
    const std::map<std::string, Tensor> &)>;

void checkValues(const Tensor &got, const std::vector<double> &want,
                 const std::string &what) {
  ASSERT_EQ(got.numElements(), (int64_t)want.size()) << what;
  // f32 rounds each of about ten operations: 2e-6 of a value near 1.
  double tol = got.dtype() == DType::F32 ? 2e-6 : 1e-13;
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got.elementAsDouble((int64_t)i), want[i],
                tol * std::max(1.0, std::abs(want[i])))
        << what << " element " << i;
}

/// Takes two steps with `run` and checks them against `want`.
void checkTwoSteps(const OptimizerSpec &spec, DType dt, const Runner &run,
                   const Expected &want) {
  TensorType type{dt, {3}};
  std::vector<OptimizerSlot> slots = optimizerSlots(spec, type);
  std::map<std::string, Tensor> in;
  in["p"] = Tensor::fromDoubles(dt, {3}, kParam);
  for (const OptimizerSlot &slot : slots)
    in[slot.suffix] =
        Tensor::fromDoubles(dt, {3}, std::vector<double>(3, slot.initial));
  if (usesStepCounter(spec))
    in["step"] = Tensor::scalar(DType::I64, 0);
  for (int step = 0; step < 2; ++step) {
    in["g"] = Tensor::fromDoubles(dt, {3}, kGrads[step]);
    std::map<std::string, Tensor> out = run(in);
    in["p"] = out.at("p.new");
    for (const OptimizerSlot &slot : slots)
      in[slot.suffix] = out.at(slot.suffix + ".new");
    if (usesStepCounter(spec)) {
      in["step"] = out.at("step.new");
      EXPECT_EQ(in["step"].elementAsDouble(0), step + 1);
    }
    checkValues(in["p"], step == 0 ? want.param1 : want.param2,
                strCat("p after step ", step + 1));
  }
  ASSERT_EQ(slots.size(), want.state2.size());
  for (size_t i = 0; i < slots.size(); ++i)
    checkValues(in[slots[i].suffix], want.state2[i],
                slots[i].suffix + " after step 2");
}

/// Checks `spec` in f64 and f32, through the interpreter and the JIT.
void checkOptimizer(const OptimizerSpec &spec, const Expected &want) {
  for (DType dt : {DType::F64, DType::F32}) {
    SCOPED_TRACE(dtypeName(dt));
    Graph g = stepGraph(spec, dt);
    {
      SCOPED_TRACE("interpreter");
      checkTwoSteps(
          spec, dt, [&](const auto &in) { return interpret(g, in); }, want);
    }
    {
      SCOPED_TRACE("compile()");
      CompileOptions options;
      options.threads = 1;
      std::unique_ptr<Executable> exe = compile(g, options);
      checkTwoSteps(
          spec, dt, [&](const auto &in) { return exe->run(in); }, want);
    }
  }
}

OptimizerSpec spec(OptimizerKind kind, double lr, double wd = 0) {
  OptimizerSpec s = defaultOptimizer(kind);
  s.lr = lr;
  s.weightDecay = wd;
  return s;
}

TEST(Optimizer, Sgd) {
  // p - 0.1*g, twice.
  checkOptimizer(spec(OptimizerKind::Sgd, 0.1),
                 {{0.99, -2.02, 0.53}, {1.01, -2.06, 0.52}, {}});
}

TEST(Optimizer, SgdWithWeightDecay) {
  // g + 0.01*p: step 1 is p - 0.1*(g + 0.01*p) = 0.999*p - 0.1*g.
  checkOptimizer(
      spec(OptimizerKind::Sgd, 0.1, 0.01),
      {{0.989, -2.018, 0.5295}, {1.008011, -2.055982, 0.5189705}, {}});
}

TEST(Optimizer, Momentum) {
  // buf = g, then 0.9*g1 + g2; p moves by 0.1*buf.
  checkOptimizer(
      spec(OptimizerKind::Momentum, 0.1),
      {{0.99, -2.02, 0.53}, {1.001, -2.078, 0.547}, {{-0.11, 0.58, -0.17}}});
}

TEST(Optimizer, NesterovWithWeightDecay) {
  OptimizerSpec s = spec(OptimizerKind::Momentum, 0.1, 0.01);
  s.nesterov = true;
  checkOptimizer(s, {{0.9791, -2.0342, 0.55605},
                     {1.00632971, -2.12091502, 0.559888505},
                     {{-0.091209, 0.541658, -0.1599395}}});
}

TEST(Optimizer, Adam) {
  // Step 1: the bias-corrected m/sqrt(v) is sign(g), so p moves by about lr.
  checkOptimizer(
      spec(OptimizerKind::Adam, 0.01),
      {{0.99000000999999, -2.0099999950000025, 0.5099999966666677},
       {0.9936610429552554, -2.0196518122065057, 0.5140021805960227},
       {{-0.011, 0.058, -0.017}, {4.999e-05, 0.00019996, 9.991e-05}}});
}

TEST(Optimizer, AdamWithL2) {
  // g + 0.1*p: the second element's gradient 0.2 - 0.2 is 0 in step 1.
  checkOptimizer(spec(OptimizerKind::Adam, 0.01, 0.1),
                 {{0.9900000049999975, -2.0, 0.5099999960000016},
                  {0.9873752031500873, -2.0074413629751473, 0.5118861033562024},
                  {{0.00790000005, 0.02, -0.00740000004},
                   {5.0160999899e-05, 4e-05, 8.52384998792e-05}}});
}

TEST(Optimizer, AdamW) {
  // Adam's moments, with p shrunk by lr*wd = 0.001 first.
  checkOptimizer(
      spec(OptimizerKind::AdamW, 0.01, 0.1),
      {{0.98900000999999, -2.0079999950000027, 0.5094999966666678},
       {0.9916720429452553, -2.015643812211506, 0.512992680599356},
       {{-0.011, 0.058, -0.017}, {4.999e-05, 0.00019996, 9.991e-05}}});
}

TEST(Optimizer, ResolvesDefaults) {
  OptimizerSpec adam = resolveOptimizer(std::nullopt);
  EXPECT_EQ(adam.kind, OptimizerKind::Adam);
  EXPECT_EQ(adam.lr, 1e-3);
  EXPECT_EQ(adam.beta1, 0.9);
  EXPECT_EQ(adam.beta2, 0.999);
  EXPECT_EQ(adam.epsilon, 1e-7);
  EXPECT_EQ(adam.weightDecay, 0);
  EXPECT_EQ(defaultOptimizer(OptimizerKind::AdamW).weightDecay, 0.01);
  EXPECT_EQ(defaultOptimizer(OptimizerKind::Sgd).lr, 0.01);
  OptimizerConfig config;
  config.kind = OptimizerKind::Momentum;
  config.lr = 0.5;
  config.nesterov = true;
  OptimizerSpec m = resolveOptimizer(config);
  EXPECT_EQ(m.kind, OptimizerKind::Momentum);
  EXPECT_EQ(m.lr, 0.5);
  EXPECT_EQ(m.momentum, 0.9);
  EXPECT_TRUE(m.nesterov);
  EXPECT_EQ(m.weightDecay, 0);
}

TEST(Optimizer, StateSlots) {
  TensorType t{DType::F32, {4, 2}};
  EXPECT_TRUE(optimizerSlots(defaultOptimizer(OptimizerKind::Sgd), t).empty());
  std::vector<OptimizerSlot> adam =
      optimizerSlots(defaultOptimizer(OptimizerKind::Adam), t);
  ASSERT_EQ(adam.size(), 2u);
  EXPECT_EQ(adam[0].suffix, "m");
  EXPECT_EQ(adam[1].suffix, "v");
  EXPECT_EQ(adam[1].type, t);
  EXPECT_EQ(adam[1].initial, 0);
  EXPECT_EQ(
      optimizerSlots(defaultOptimizer(OptimizerKind::Momentum), t)[0].suffix,
      "momentum");
  EXPECT_FALSE(usesStepCounter(defaultOptimizer(OptimizerKind::Momentum)));
  EXPECT_TRUE(usesStepCounter(defaultOptimizer(OptimizerKind::AdamW)));
}

/// The message of the BadInput error appendUpdate throws.
std::string updateError(const OptimizerSpec &spec, TensorType param,
                        TensorType grad, std::vector<TensorType> state,
                        std::optional<TensorType> step) {
  Graph g("bad");
  Builder b(g);
  Value *p = b.input("p", param), *gr = b.input("g", grad);
  std::vector<Value *> s;
  for (size_t i = 0; i < state.size(); ++i)
    s.push_back(b.input("s" + std::to_string(i), state[i]));
  Value *st = step ? b.input("step", *step) : nullptr;
  try {
    appendUpdate(b, spec, p, gr, s, st);
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(Optimizer, BadArguments) {
  TensorType f32{DType::F32, {3}}, f64{DType::F64, {3}};
  OptimizerSpec sgd = defaultOptimizer(OptimizerKind::Sgd);
  OptimizerSpec adam = defaultOptimizer(OptimizerKind::Adam);
  EXPECT_EQ(updateError(sgd, {DType::I32, {3}}, {DType::I32, {3}}, {}, {}),
            "sgd update of %p: the parameter must be a float tensor, not "
            "i32[3]");
  EXPECT_EQ(updateError(sgd, f32, f64, {}, {}),
            "sgd update of %p: the gradient f64[3] must have the parameter's "
            "type f32[3]");
  EXPECT_EQ(updateError(adam, f32, f32, {f32}, stepCounterType()),
            "adam update of %p: expected 2 state values, got 1");
  EXPECT_EQ(updateError(adam, f32, f32, {f32, f64}, stepCounterType()),
            "adam update of %p: state 'v' must be f32[3], not f64[3]");
  EXPECT_EQ(updateError(adam, f32, f32, {f32, f32}, std::nullopt),
            "adam update of %p: the step counter must be i64[]");
  EXPECT_EQ(updateError(adam, f32, f32, {f32, f32}, f32),
            "adam update of %p: the step counter must be i64[], not f32[3]");
}

} // namespace
