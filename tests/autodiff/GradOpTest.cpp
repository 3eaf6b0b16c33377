//===- GradOpTest.cpp - Every op's gradient against finite differences ----===//
//
// Driven by the op table: every op with the Differentiable trait has a list
// of instances here (several shapes, broadcasting, size-1 dims, negative
// axes, keepdims), and each instance's gradient, run on the interpreter and
// the JIT, must match central differences in f64. An op without instances
// fails. Inputs are built clear of the points where an op is not
// differentiable (relu and abs at 0, ties of max and of maximum).
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"

#include "compiler/autodiff/GradRules.h"
#include "ir/Error.h"

#include "tests/support/Scans.h"

#include <gtest/gtest.h>

using namespace adjoint;
using namespace adjoint::testing;

namespace adjoint {
/// Names ops in gtest's messages.
void PrintTo(OpKind op, std::ostream *os) { *os << opName(op); }
} // namespace adjoint

namespace {

struct Instance {
  std::string label;
  CaseFn build;
  GradCheckOptions opts = {};
};

using Instances = std::vector<Instance>;

Instances unary(OpKind op, std::function<Value *(CaseBuilder &, Shape)> in) {
  Instances out;
  for (Shape s : {Shape{}, Shape{5}, Shape{2, 3}})
    out.push_back(
        {shapeStr(s), [=](CaseBuilder &b) { return b.op(op, {in(b, s)}); }});
  return out;
}

/// Operand shape pairs that cover equal shapes, broadcasting both ways,
/// scalars, rank differences and size-1 dims.
const std::vector<std::pair<Shape, Shape>> &binaryShapes() {
  static const std::vector<std::pair<Shape, Shape>> shapes = {
      {{2, 3}, {2, 3}}, {{2, 1}, {1, 3}},       {{}, {2, 3}},
      {{2, 3, 4}, {4}}, {{3, 1, 2}, {1, 2, 1}}, {{4}, {}}};
  return shapes;
}

Instances binary(OpKind op, std::function<Value *(CaseBuilder &, Shape)> first,
                 std::function<Value *(CaseBuilder &, Shape)> second) {
  Instances out;
  for (auto [sa, sb] : binaryShapes())
    out.push_back({shapeStr(sa) + shapeStr(sb), [=](CaseBuilder &b) {
                     Value *x = first(b, sa);
                     return b.op(op, {x, second(b, sb)});
                   }});
  return out;
}

Value *uniformIn(CaseBuilder &b, Shape s) { return b.uniform(s); }

Instances reductions(OpKind op) {
  Instances out;
  struct R {
    Shape shape;
    std::optional<std::vector<int64_t>> axes;
    bool keep;
  };
  for (R r : {R{{2, 3, 4}, std::nullopt, false}, R{{2, 3, 4}, {{1}}, false},
              R{{2, 3, 4}, {{-1}}, true}, R{{2, 3, 4}, {{0, 2}}, false},
              R{{2, 3, 4}, std::nullopt, true}, R{{5}, {{0}}, false},
              R{{1, 4}, {{0}}, false}}) {
    std::string label = shapeStr(r.shape) +
                        (r.axes ? " axes " + shapeStr(*r.axes) : " all") +
                        (r.keep ? " keepdims" : "");
    out.push_back({label, [=](CaseBuilder &b) {
                     Attributes a;
                     if (r.axes)
                       a.set("axes", *r.axes);
                     a.set("keepdims", r.keep);
                     // Distinct values: reduce_max and reduce_min have no
                     // ties to split.
                     return b.op(op, {b.distinct(r.shape)}, a);
                   }});
  }
  return out;
}

Instances sliceInstances() {
  struct S {
    Shape shape;
    std::vector<int64_t> starts, ends, axes, steps;
  };
  Instances out;
  for (S s : {S{{5, 6}, {1}, {4}, {}, {}}, S{{5, 6}, {-4}, {-1}, {1}, {}},
              S{{5, 6}, {0, 1}, {5, 6}, {0, 1}, {2, 3}},
              S{{5, 6}, {-1}, {-100}, {-1}, {-1}},
              S{{5, 6}, {4, 5}, {0, 0}, {0, 1}, {-2, -3}},
              S{{5, 6}, {3}, {3}, {}, {}}, S{{7}, {1}, {7}, {}, {4}},
              S{{2, 1, 4}, {0, 1}, {1, 3}, {1, 2}, {}}}) {
    std::string label = shapeStr(s.shape) + " starts " + shapeStr(s.starts) +
                        " ends " + shapeStr(s.ends) + " axes " +
                        shapeStr(s.axes) + " steps " + shapeStr(s.steps);
    out.push_back({label, [=](CaseBuilder &b) {
                     return b.slice(b.uniform(s.shape), s.starts, s.ends,
                                    s.axes, s.steps);
                   }});
  }
  return out;
}

Instances matmulInstances() {
  Instances out;
  for (auto [sa, sb] :
       std::vector<std::pair<Shape, Shape>>{{{3, 4}, {4, 2}},
                                            {{4}, {4, 2}},
                                            {{3, 4}, {4}},
                                            {{4}, {4}},
                                            {{2, 3, 4}, {4, 2}},
                                            {{4}, {2, 4, 3}},
                                            {{2, 1, 3, 4}, {3, 4, 2}},
                                            {{1, 3, 4}, {2, 4, 5}}})
    out.push_back({shapeStr(sa) + " @ " + shapeStr(sb), [=](CaseBuilder &b) {
                     Value *x = b.uniform(sa);
                     return b.matmul(x, b.uniform(sb));
                   }});
  return out;
}

Instances convInstances() {
  struct C {
    Shape x, w;
    Conv2DOptions opts;
  };
  Instances out;
  for (C c : {C{{2, 3, 5, 5}, {4, 3, 3, 3}, {}},
              C{{1, 2, 6, 7}, {3, 2, 3, 2}, {{2, 2}, {1, 0, 2, 1}, {1, 1}, 1}},
              C{{1, 2, 7, 6}, {2, 2, 2, 2}, {{1, 2}, {0, 1, 0, 1}, {2, 1}, 1}},
              C{{1, 4, 5, 6}, {6, 2, 2, 3}, {{1, 1}, {1, 1, 1, 1}, {1, 1}, 2}},
              C{{2, 3, 4, 4}, {2, 3, 1, 1}, {}}}) {
    std::string label = shapeStr(c.x) + " * " + shapeStr(c.w) + " strides " +
                        shapeStr(c.opts.strides) + " pads " +
                        shapeStr(c.opts.pads) + " dilations " +
                        shapeStr(c.opts.dilations) + " groups " +
                        std::to_string(c.opts.groups);
    out.push_back({label, [=](CaseBuilder &b) {
                     Value *x = b.uniform(c.x);
                     return b.conv2d(x, b.uniform(c.w), c.opts);
                   }});
  }
  return out;
}

std::vector<Pool2DOptions> poolOptions() {
  std::vector<Pool2DOptions> out;
  out.push_back({{2, 2}, {2, 2}, {0, 0, 0, 0}, false});
  out.push_back({{2, 2}, {1, 1}, {0, 0, 0, 0}, false}); // overlapping
  out.push_back({{3, 2}, {1, 2}, {1, 1, 1, 0}, false});
  out.push_back({{2, 3}, {2, 1}, {1, 0, 0, 2}, true});
  return out;
}

std::string poolLabel(const Pool2DOptions &o) {
  return "kernel " + shapeStr(o.kernel) + " strides " + shapeStr(o.strides) +
         " pads " + shapeStr(o.pads) +
         (o.countIncludePad ? " count_include_pad" : "");
}

Instances poolInstances(OpKind op) {
  Instances out;
  for (const Pool2DOptions &o : poolOptions())
    out.push_back({poolLabel(o), [=](CaseBuilder &b) {
                     // Distinct values: no ties within a max window.
                     Value *x = b.distinct({2, 2, 5, 6});
                     return op == OpKind::MaxPool2D ? b.maxPool2d(x, o)
                                                    : b.avgPool2d(x, o);
                   }});
  return out;
}

/// The gradient ops, on the windows of the conv2d instances: each operand
/// is given with the shape the forward conv2d implies.
Instances convGradInstances(OpKind op) {
  Instances out;
  for (const Instance &conv : convInstances())
    out.push_back({conv.label, [=](CaseBuilder &b) {
                     // The forward node tells the shapes; its inputs are
                     // not used.
                     Graph scratch;
                     CaseBuilder s(scratch, 0);
                     Value *y = conv.build(s);
                     const Node &n = *y->definingNode();
                     Shape x = n.operand(0)->type().shape;
                     Shape w = n.operand(1)->type().shape;
                     Conv2DOptions o;
                     AttrReader r = n.attr();
                     o.strides = r.getInts("strides");
                     o.pads = r.getInts("pads");
                     o.dilations = r.getInts("dilations");
                     o.groups = r.getInt("groups");
                     Value *dy = b.uniform(y->type().shape);
                     if (op == OpKind::Conv2DInputGrad)
                       return b.conv2dInputGrad(dy, b.uniform(w), x, o);
                     Value *in = b.uniform(x);
                     return b.conv2dWeightGrad(in, b.uniform(y->type().shape),
                                               {w[2], w[3]}, o);
                   }});
  return out;
}

/// The pool gradient ops on the pool instances' windows.
Instances poolGradInstances(OpKind op) {
  Instances out;
  Shape x = {2, 2, 5, 6};
  for (const Pool2DOptions &o : poolOptions())
    out.push_back(
        {poolLabel(o), [=](CaseBuilder &b) {
           Graph scratch;
           Builder s(scratch);
           Shape y =
               s.maxPool2d(s.input("x", {DType::F64, x}), o)->type().shape;
           if (op == OpKind::AvgPool2DGrad)
             return b.avgPool2dGrad(b.uniform(y), x, o);
           // Distinct values: a change of 1e-6 moves no maximum,
           // so the gradient in x is 0.
           Value *in = b.distinct(x);
           return b.maxPool2dGrad(in, b.uniform(y), o);
         }});
  return out;
}

Instances scanInstances() {
  auto rnn = [](Builder &b, std::vector<Value *> in) {
    return b.tanh(b.add(b.matmul(in[0], in[2]), in[1]));
  };
  Instances out;
  out.push_back({"rnn: state, sequence and weight", [=](CaseBuilder &b) {
                   return scanOf(b,
                                 {b.uniform({2, 3}), b.uniform({4, 2, 3}),
                                  b.uniform({3, 3}, -0.8, 0.8)},
                                 1, false, rnn);
                 }});
  out.push_back({"reverse, one step", [=](CaseBuilder &b) {
                   return scanOf(b,
                                 {b.uniform({2, 3}), b.uniform({1, 2, 3}),
                                  b.uniform({3, 3}, -0.8, 0.8)},
                                 1, true, rnn);
                 }});
  out.push_back(
      {"reverse, two sequences, a broadcast invariant", [](CaseBuilder &b) {
         return scanOf(b,
                       {b.uniform({3}), b.uniform({5, 3}), b.uniform({5, 1}),
                        b.uniform({3})},
                       2, true, [](Builder &bb, std::vector<Value *> in) {
                         return bb.sigmoid(bb.add(bb.mul(in[0], in[1]),
                                                  bb.mul(in[2], in[3])));
                       });
       }});
  out.push_back({"integer sequence, no gradient to it", [](CaseBuilder &b) {
                   Value *ids = b.ints(DType::I64, {3, 2}, {1, 0, 2, 1, 0, 2});
                   return scanOf(b, {b.uniform({2}), ids, b.uniform({3})}, 1,
                                 false,
                                 [](Builder &bb, std::vector<Value *> in) {
                                   Value *picked = bb.gather(in[2], in[1]);
                                   return bb.tanh(bb.add(in[0], picked));
                                 });
                 }});
  out.push_back({"nested: a scan in the body", [=](CaseBuilder &b) {
                   return scanOf(
                       b, {b.uniform({2}), b.uniform({3, 2, 2})}, 1, false,
                       [=](Builder &bb, std::vector<Value *> in) {
                         // The inner scan runs over the rows of x_t.
                         Value *rows = scanOf(
                             bb, {in[0], in[1]}, 1, true,
                             [](Builder &ib, std::vector<Value *> j) {
                               return ib.tanh(ib.add(ib.mul(j[0], j[1]), j[1]));
                             });
                         return bb.reduceSum(rows, std::vector<int64_t>{0});
                       });
                 }});
  return out;
}

/// The instances of `op`; empty for an op that is not differentiable.
Instances instancesOf(OpKind op) {
  auto awayFromZero = [](CaseBuilder &b, Shape s) { return b.awayFromZero(s); };
  auto positive = [](CaseBuilder &b, Shape s) { return b.uniform(s, 0.3, 3); };
  switch (op) {
  case OpKind::Neg:
  case OpKind::Exp:
  case OpKind::Tanh:
  case OpKind::Sigmoid:
  case OpKind::Erf:
    return unary(op, uniformIn);
  case OpKind::Abs:
  case OpKind::Sign:
  case OpKind::Relu:
    return unary(op, awayFromZero);
  case OpKind::Log:
  case OpKind::Sqrt:
    return unary(op, positive);

  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
    return binary(op, uniformIn, uniformIn);
  case OpKind::Div:
    return binary(op, uniformIn, [](CaseBuilder &b, Shape s) {
      return b.awayFromZero(s, 0.5, 2);
    });
  case OpKind::Pow:
    return binary(
        op, [](CaseBuilder &b, Shape s) { return b.uniform(s, 0.5, 2); },
        uniformIn);
  case OpKind::Maximum:
  case OpKind::Minimum:
    return binary(
        op, [](CaseBuilder &b, Shape s) { return b.grid(s, 0); },
        [](CaseBuilder &b, Shape s) { return b.grid(s, 0.05); });

  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::LessEqual:
  case OpKind::Greater:
  case OpKind::GreaterEqual:
  case OpKind::LogicalAnd:
  case OpKind::LogicalOr:
  case OpKind::LogicalNot:
    return {};
  case OpKind::Select: {
    Instances out;
    for (auto [sc, sa, sb] :
         std::vector<std::tuple<Shape, Shape, Shape>>{{{2, 3}, {2, 3}, {2, 3}},
                                                      {{2, 3}, {2, 1}, {3}},
                                                      {{}, {2}, {2}},
                                                      {{3, 1}, {}, {1, 4}}})
      out.push_back(
          {shapeStr(sc) + shapeStr(sa) + shapeStr(sb), [=](CaseBuilder &b) {
             Value *cond = b.coins(sc);
             Value *x = b.uniform(sa);
             return b.select(cond, x, b.uniform(sb));
           }});
    return out;
  }

  case OpKind::Cast: {
    Instances out;
    out.push_back({"f64 to f64", [](CaseBuilder &b) {
                     return b.cast(b.uniform({2, 3}), DType::F64);
                   }});
    // Through f32 the values are rounded to 24 bits: a wide step keeps the
    // rounding error of the difference small.
    GradCheckOptions wide;
    wide.step = 1e-2;
    wide.rtol = 1e-4;
    out.push_back({"f64 to f32 to f64",
                   [](CaseBuilder &b) {
                     Value *x = b.cast(b.uniform({2, 3}), DType::F32);
                     return b.cast(b.mul(x, x), DType::F64);
                   },
                   wide});
    // Through an integer nothing flows (and nothing changes nearby).
    out.push_back(
        {"f64 to i32 to f64", [](CaseBuilder &b) {
           Value *x = b.uniform({4}, 0.2, 0.8);
           return b.add(
               x, b.cast(b.cast(b.mul(x, b.scalar(DType::F64, 10)), DType::I32),
                         DType::F64));
         }});
    return out;
  }
  case OpKind::Constant:
  case OpKind::Iota:
  case OpKind::Argmax:
  case OpKind::OneHot:
    return {};

  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    return reductions(op);

  case OpKind::Reshape: {
    Instances out;
    for (auto [from, to] :
         std::vector<std::pair<Shape, Shape>>{{{2, 3, 4}, {4, 6}},
                                              {{2, 3, 4}, {6, -1}},
                                              {{1, 5}, {5}},
                                              {{}, {1, 1}}})
      out.push_back(
          {shapeStr(from) + " to " + shapeStr(to),
           [=](CaseBuilder &b) { return b.reshape(b.uniform(from), to); }});
    return out;
  }
  case OpKind::Transpose: {
    Instances out;
    for (auto [s, perm] : std::vector<std::pair<Shape, std::vector<int64_t>>>{
             {{2, 3, 4}, {2, 0, 1}},
             {{2, 3, 4}, {}},
             {{2, 3, 4}, {-1, 0, 1}},
             {{5}, {0}},
             {{1, 3}, {1, 0}}})
      out.push_back(
          {shapeStr(s) + " perm " + shapeStr(perm),
           [=](CaseBuilder &b) { return b.transpose(b.uniform(s), perm); }});
    return out;
  }
  case OpKind::BroadcastTo: {
    Instances out;
    for (auto [from, to] :
         std::vector<std::pair<Shape, Shape>>{{{3, 1}, {2, 3, 4}},
                                              {{}, {2, 2}},
                                              {{4}, {3, 4}},
                                              {{2, 3}, {2, 3}}})
      out.push_back(
          {shapeStr(from) + " to " + shapeStr(to),
           [=](CaseBuilder &b) { return b.broadcastTo(b.uniform(from), to); }});
    return out;
  }
  case OpKind::Slice:
    return sliceInstances();
  case OpKind::Concat: {
    Instances out;
    for (auto [shapes, axis] :
         std::vector<std::pair<std::vector<Shape>, int64_t>>{
             {{{2, 3}, {2, 1}, {2, 2}}, 1},
             {{{2, 3}, {2, 1}}, -1},
             {{{1, 3}, {2, 3}}, 0},
             {{{4}}, 0}})
      out.push_back({"axis " + std::to_string(axis), [=](CaseBuilder &b) {
                       std::vector<Value *> xs;
                       for (const Shape &s : shapes)
                         xs.push_back(b.uniform(s));
                       return b.concat(xs, axis);
                     }});
    return out;
  }
  case OpKind::Pad: {
    Instances out;
    for (auto [s, pads, value] :
         std::vector<std::tuple<Shape, std::vector<int64_t>, double>>{
             {{2, 3}, {1, 0, 2, 1}, 0},
             {{2, 3}, {0, 2, 1, 0}, 1.5},
             {{4}, {0, 3}, 0},
             {{}, {}, 0}})
      out.push_back(
          {shapeStr(s) + " pads " + shapeStr(pads),
           [=](CaseBuilder &b) { return b.pad(b.uniform(s), pads, value); }});
    return out;
  }
  case OpKind::Gather: {
    Instances out;
    // Repeated indices: their gradients add up.
    out.push_back(
        {"axis 0, i64 indices", [](CaseBuilder &b) {
           Value *data = b.uniform({5, 3});
           return b.gather(data, b.ints(DType::I64, {4}, {0, 4, -1, 2}));
         }});
    out.push_back(
        {"axis 1, i32 [2,2] indices", [](CaseBuilder &b) {
           Value *data = b.uniform({2, 3, 2});
           return b.gather(data, b.ints(DType::I32, {2, 2}, {2, 2, 0, -3}), 1);
         }});
    out.push_back({"axis -1, scalar index", [](CaseBuilder &b) {
                     Value *data = b.uniform({3, 4});
                     return b.gather(data, b.ints(DType::I64, {}, {1}), -1);
                   }});
    return out;
  }

  case OpKind::MatMul:
    return matmulInstances();
  case OpKind::Attention:
    return {{"plain",
             [](CaseBuilder &b) {
               return b.attention(b.uniform({2, 3, 4}), b.uniform({2, 5, 4}),
                                  b.uniform({2, 5, 3}), 0.5);
             }},
            {"causal, heads", [](CaseBuilder &b) {
               return b.attention(b.uniform({1, 2, 4, 3}),
                                  b.uniform({1, 2, 4, 3}),
                                  b.uniform({1, 2, 4, 2}), 0.7, true);
             }}};
  case OpKind::Conv2D:
    return convInstances();
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
    return poolInstances(op);

  case OpKind::StopGradient:
    return {};
  case OpKind::Conv2DInputGrad:
  case OpKind::Conv2DWeightGrad:
    return convGradInstances(op);
  case OpKind::MaxPool2DGrad:
  case OpKind::AvgPool2DGrad:
    return poolGradInstances(op);
  case OpKind::ScatterAdd: {
    Instances out;
    out.push_back({"axis 0, repeated indices", [](CaseBuilder &b) {
                     Value *idx = b.ints(DType::I64, {4}, {0, 4, -1, 0});
                     return b.scatterAdd(idx, b.uniform({4, 3}), {5, 3});
                   }});
    out.push_back({"axis -1, i32 [2,2] indices", [](CaseBuilder &b) {
                     Value *idx = b.ints(DType::I32, {2, 2}, {2, 2, 0, -3});
                     return b.scatterAdd(idx, b.uniform({2, 2, 2}), {2, 3}, -1);
                   }});
    return out;
  }
  case OpKind::Dropout: {
    Instances out;
    for (Shape s : {Shape{5}, Shape{3, 4}})
      out.push_back({shapeStr(s), [=](CaseBuilder &b) {
                       Attributes a;
                       a.set("rate", 0.4);
                       Value *step = b.ints(DType::I64, {}, {3});
                       return b.op(OpKind::Dropout, {b.uniform(s), step}, a);
                     }});
    return out;
  }
  case OpKind::Scan:
    return scanInstances();
  }
  __builtin_unreachable();
}

class GradOp : public ::testing::TestWithParam<OpKind> {};

TEST_P(GradOp, MatchesFiniteDifferences) {
  OpKind op = GetParam();
  Instances instances = instancesOf(op);
  if (!opDef(op).has(Differentiable)) {
    EXPECT_TRUE(instances.empty())
        << opName(op) << " is not differentiable but has instances";
    return;
  }
  ASSERT_FALSE(instances.empty())
      << opName(op) << " is differentiable but has no gradient check: add "
      << "instances to instancesOf in tests/autodiff/GradOpTest.cpp";
  ASSERT_NE(autodiff::gradientRule(op), nullptr);
  for (const Instance &inst : instances) {
    SCOPED_TRACE(std::string(opName(op)) + " " + inst.label);
    try {
      expectGradientsMatch(inst.build, inst.opts);
    } catch (const Error &e) {
      ADD_FAILURE() << e.what();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, GradOp,
                         ::testing::ValuesIn(allOps().begin(), allOps().end()),
                         [](const ::testing::TestParamInfo<OpKind> &info) {
                           return std::string(opName(info.param));
                         });

TEST(GradRules, EveryOpHasARule) {
  // Non-differentiable ops have a rule too: it says no gradient flows.
  for (OpKind op : allOps())
    EXPECT_NE(autodiff::gradientRule(op), nullptr) << opName(op);
}

} // namespace
