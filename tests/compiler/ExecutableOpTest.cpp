//===- ExecutableOpTest.cpp - Every op compiled, against the interpreter --===//
//
// Walks the op table: each op is compiled on several shapes (broadcasting,
// size-1 and zero-size dims, negative axes) and dtypes, run on random data,
// and compared with the reference interpreter: 1e-5 relative in f32, 1e-12
// in f64, exact for integers and bools.
//
//===----------------------------------------------------------------------===//
#include "JitTestUtil.h"
#include "compiler/Executable.h"
#include "ir/Builder.h"
#include "ir/Interpreter.h"

#include "tests/support/Scans.h"

#include <gtest/gtest.h>

#include <functional>
#include <tuple>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

/// One compiled instance of an op: a graph builder and the input range.
struct Instance {
  std::string label;
  std::function<void(Builder &)> build;
  double lo = -2, hi = 2;
};

TensorType ty(DType t, Shape s) { return {t, std::move(s)}; }

std::vector<Instance> unaryInstances(OpKind op, std::vector<DType> dtypes) {
  std::vector<Instance> out;
  for (DType t : dtypes)
    for (Shape s : {Shape{}, Shape{7}, Shape{3, 37}, Shape{2, 0, 3}})
      out.push_back({std::string(dtypeName(t)) + shapeStr(s), [=](Builder &b) {
                       b.output("y", b.op(op, {b.input("x", ty(t, s))}));
                     }});
  return out;
}

std::vector<Instance> binaryInstances(OpKind op, std::vector<DType> dtypes,
                                      DType operandOverride = DType::F32,
                                      bool override = false) {
  std::vector<std::pair<Shape, Shape>> shapes = {
      {{3, 4}, {3, 4}},   {{3, 1}, {1, 4}}, {{}, {2, 3}},
      {{2, 3, 40}, {40}}, {{0, 3}, {1, 3}}, {{5, 1, 3}, {1, 4, 1}},
      {{67}, {}}};
  std::vector<Instance> out;
  for (DType t : dtypes)
    for (auto &[sa, sb] : shapes)
      out.push_back({std::string(dtypeName(t)) + shapeStr(sa) + shapeStr(sb),
                     [=](Builder &b) {
                       DType d = override ? operandOverride : t;
                       b.output("y", b.op(op, {b.input("a", ty(d, sa)),
                                               b.input("b", ty(d, sb))}));
                     },
                     -5, 5});
  return out;
}

const std::vector<DType> kFloats = {DType::F32, DType::F64};
const std::vector<DType> kSigned = {DType::F32, DType::F64, DType::I32,
                                    DType::I64};
const std::vector<DType> kNumeric = {DType::F32, DType::F64, DType::I32,
                                     DType::I64, DType::U8};

using Ints = std::vector<int64_t>;

std::vector<Instance> reduceInstances(OpKind op) {
  std::vector<Instance> out;
  std::vector<std::pair<Shape, std::optional<Ints>>> cases = {
      {{3, 4, 5}, std::nullopt}, {{3, 4, 5}, Ints{1}}, {{3, 4, 5}, Ints{-1}},
      {{3, 4, 5}, Ints{0, 2}},   {{2, 0, 3}, Ints{1}}, {{}, std::nullopt},
      {{64, 300}, Ints{1}},      {{300, 64}, Ints{0}}};
  for (DType t : op == OpKind::ReduceMean ? kFloats : kNumeric)
    for (auto &[s, axes] : cases)
      for (bool keep : {false, true})
        out.push_back(
            {std::string(dtypeName(t)) + shapeStr(s) + (keep ? "k" : ""),
             [=](Builder &b) {
               Attributes a;
               if (axes)
                 a.set("axes", *axes);
               a.set("keepdims", keep);
               b.output("y", b.op(op, {b.input("x", ty(t, s))}, a));
             },
             0, 9});
  return out;
}

/// A conv gradient for an input of shape xs and a weight of shape ws: dy is
/// an input of conv2d's result shape.
Instance convGrad(OpKind op, std::string label, DType t, Shape xs, Shape ws,
                  Conv2DOptions opts) {
  return {std::move(label), [=](Builder &b) {
            Graph probe;
            Builder pb(probe);
            Shape ys = pb.conv2d(pb.input("x", ty(t, xs)),
                                 pb.input("w", ty(t, ws)), opts)
                           ->type()
                           .shape;
            Value *dy = b.input("dy", ty(t, ys));
            if (op == OpKind::Conv2DInputGrad)
              b.output("dx", b.conv2dInputGrad(dy, b.input("w", ty(t, ws)), xs,
                                               opts));
            else
              b.output("dw", b.conv2dWeightGrad(b.input("x", ty(t, xs)), dy,
                                                {ws[2], ws[3]}, opts));
          }};
}

/// Plain, padded, strided, dilated, grouped, 1x1 (read in place), and
/// large enough for the weight gradient to be summed in several parts (in
/// f64: its sums of 2048 products would stray past the f32 tolerance).
std::vector<Instance> convGradInstances(OpKind op) {
  std::vector<std::pair<std::string, Conv2DOptions>> variants = {
      {"plain", {}},
      {"same", {{1, 1}, {1, 1, 1, 1}, {1, 1}, 1}},
      {"strided", {{2, 3}, {0, 1, 2, 0}, {1, 1}, 1}},
      {"dilated", {{1, 1}, {2, 2, 2, 2}, {2, 2}, 1}}};
  std::vector<Instance> out;
  for (DType t : kFloats)
    for (auto &[name, opts] : variants)
      out.push_back(convGrad(op, std::string(dtypeName(t)) + name, t,
                             {2, 4, 9, 8}, {6, 4, 3, 3}, opts));
  Conv2DOptions grouped;
  grouped.groups = 2;
  out.push_back(
      convGrad(op, "groups", DType::F32, {1, 4, 6, 6}, {6, 2, 3, 3}, grouped));
  out.push_back(
      convGrad(op, "1x1", DType::F64, {2, 4, 5, 5}, {3, 4, 1, 1}, {}));
  out.push_back(convGrad(op, "parts", DType::F64, {8, 16, 16, 16},
                         {16, 16, 3, 3}, {{1, 1}, {1, 1, 1, 1}, {1, 1}, 1}));
  return out;
}

/// Overlapping windows (kernel 3 stride 2 down, kernel 2 stride 1 across)
/// with padding.
std::vector<Instance> poolGradInstances(OpKind op) {
  std::vector<Instance> out;
  for (DType t : kFloats)
    for (bool countPad : {false, true}) {
      if (countPad && op == OpKind::MaxPool2DGrad)
        continue;
      out.push_back(
          {std::string(dtypeName(t)) + (countPad ? "countpad" : "plain"),
           [=](Builder &b) {
             Pool2DOptions o;
             o.kernel = {3, 2};
             o.strides = {2, 1};
             o.pads = {1, 0, 1, 1};
             o.countIncludePad = countPad;
             Shape xs = {2, 3, 9, 8};
             Value *dy = b.input("dy", ty(t, {2, 3, 5, 8}));
             b.output("dx",
                      op == OpKind::MaxPool2DGrad
                          ? b.maxPool2dGrad(b.input("x", ty(t, xs)), dy, o)
                          : b.avgPool2dGrad(dy, xs, o));
           }});
    }
  // Windows inside the image that do not overlap, as explicit vectors per
  // row of windows: tiling the image (2x2 stride 2), leaving its last rows
  // and columns out (3x3 stride 3), with gaps between them (2x2 stride 3),
  // rows of whole vectors and a tail (35 windows), and the CNN's second
  // pool's rows of 7.
  for (auto [k, stride, shape] :
       std::vector<std::tuple<int64_t, int64_t, Shape>>{{2, 2, {2, 3, 16, 18}},
                                                        {3, 3, {1, 2, 10, 29}},
                                                        {2, 3, {1, 2, 11, 30}},
                                                        {2, 2, {1, 2, 6, 70}},
                                                        {2, 2, {2, 3, 14, 14}}})
    for (DType t : kFloats)
      out.push_back(
          {std::string(dtypeName(t)) + "disjoint" + std::to_string(k) + "s" +
               std::to_string(stride),
           [=](Builder &b) {
             Pool2DOptions o;
             o.kernel = {k, k};
             o.strides = {stride, stride};
             Shape ys = {shape[0], shape[1], (shape[2] - k) / stride + 1,
                         (shape[3] - k) / stride + 1};
             Value *dy = b.input("dy", ty(t, ys));
             b.output("dx",
                      op == OpKind::MaxPool2DGrad
                          ? b.maxPool2dGrad(b.input("x", ty(t, shape)), dy, o)
                          : b.avgPool2dGrad(dy, shape, o));
           }});
  return out;
}

/// Duplicate and negative indices, every axis position, integer updates
/// (which wrap), and a result large enough to be split across threads.
std::vector<Instance> scatterAddInstances() {
  auto indices = [](Builder &b, DType t, Shape s, std::vector<double> v) {
    return b.constant(Tensor::fromDoubles(t, std::move(s), std::move(v)));
  };
  std::vector<Instance> out;
  for (DType t : kNumeric)
    out.push_back(
        {std::string(dtypeName(t)) + "axis0", [=](Builder &b) {
           Value *i = indices(b, DType::I64, {5}, {0, 2, 0, -1, 2});
           b.output("y", b.scatterAdd(i, b.input("u", ty(t, {5, 3})), {4, 3}));
         }});
  out.push_back(
      {"axis1", [=](Builder &b) {
         Value *i = indices(b, DType::I32, {2, 2}, {1, 1, 0, -1});
         b.output("y",
                  b.scatterAdd(i, b.input("u", ty(DType::F64, {3, 2, 2, 2})),
                               {3, 3, 2}, 1));
       }});
  out.push_back(
      {"last_axis", [=](Builder &b) {
         Value *i = indices(b, DType::I64, {3}, {0, 0, -1});
         b.output("y", b.scatterAdd(i, b.input("u", ty(DType::F32, {4, 3})),
                                    {4, 2}, -1));
       }});
  out.push_back(
      {"parallel_rows", [=](Builder &b) {
         std::vector<double> v(300);
         for (size_t k = 0; k < v.size(); ++k)
           v[k] = (double)((k * 7) % 20) - 10;
         Value *i = indices(b, DType::I64, {300}, v);
         b.output("y",
                  b.scatterAdd(i, b.input("u", ty(DType::F32, {64, 300, 8})),
                               {64, 10, 8}, 1));
       }});
  return out;
}

std::vector<Instance> scanInstances() {
  auto rnn = [](Builder &b, std::vector<Value *> in) {
    return b.tanh(b.add(b.matmul(in[0], in[2]), in[1]));
  };
  return {
      {"rnn",
       [=](Builder &b) {
         b.output("y", scanOf(b,
                              {b.input("h", ty(DType::F32, {4, 8})),
                               b.input("xs", ty(DType::F32, {5, 4, 8})),
                               b.input("w", ty(DType::F32, {8, 8}))},
                              1, false, rnn));
       }},
      {"reverse_two_sequences_f64",
       [](Builder &b) {
         b.output("y",
                  scanOf(b,
                         {b.input("h", ty(DType::F64, {3})),
                          b.input("xs", ty(DType::F64, {4, 3})),
                          b.input("ys", ty(DType::F64, {4, 1}))},
                         2, true, [](Builder &bb, std::vector<Value *> in) {
                           return bb.add(bb.mul(in[0], in[2]), in[1]);
                         }));
       }},
      {"keeps_slice_bool",
       [](Builder &b) {
         b.output("y", scanOf(b,
                              {b.input("h", ty(DType::Bool, {2})),
                               b.input("xs", ty(DType::Bool, {3, 2}))},
                              1, false, [](Builder &, std::vector<Value *> in) {
                                return in[1];
                              }));
       }},
      {"constant_next_state",
       [](Builder &b) {
         b.output("y", scanOf(b,
                              {b.input("h", ty(DType::F32, {3})),
                               b.input("xs", ty(DType::F32, {2, 3}))},
                              1, false, [](Builder &bb, std::vector<Value *>) {
                                return bb.constant(Tensor::fromDoubles(
                                    DType::F32, {3},
                                    std::vector<double>{1, -2, 0.5}));
                              }));
       }},
      {"state_passes_i32",
       [](Builder &b) {
         Value *h = b.input("h", ty(DType::I32, {2, 2}));
         Value *y =
             scanOf(b, {h, b.input("xs", ty(DType::I32, {3, 1}))}, 1, false,
                    [](Builder &, std::vector<Value *> in) { return in[0]; });
         b.output("y", y);
         b.output("h2", b.add(h, h));
       }},
      // Inputs small enough that 96-term sums keep their relative error.
      {"parallel_rows",
       [=](Builder &b) {
         b.output("y", scanOf(b,
                              {b.input("h", ty(DType::F32, {64, 96})),
                               b.input("xs", ty(DType::F32, {3, 64, 96})),
                               b.input("w", ty(DType::F32, {96, 96}))},
                              1, false, rnn));
       },
       -0.2, 0.2},
  };
}

std::vector<Instance> instancesOf(OpKind op) {
  switch (op) {
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Tanh:
  case OpKind::Sigmoid:
  case OpKind::Erf:
    return unaryInstances(op, kFloats);
  case OpKind::Neg:
    return unaryInstances(op, kSigned);
  case OpKind::Abs:
  case OpKind::Sign:
  case OpKind::Relu:
    return unaryInstances(op, kNumeric);
  case OpKind::LogicalNot:
    return unaryInstances(op, {DType::Bool});
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Maximum:
  case OpKind::Minimum:
    return binaryInstances(op, kNumeric);
  case OpKind::Pow:
    return binaryInstances(op, kFloats);
  case OpKind::Equal:
    return binaryInstances(op, {DType::F32, DType::I64, DType::Bool});
  case OpKind::Less:
  case OpKind::LessEqual:
  case OpKind::Greater:
  case OpKind::GreaterEqual:
    return binaryInstances(op, {DType::F32, DType::F64, DType::I32, DType::U8});
  case OpKind::LogicalAnd:
  case OpKind::LogicalOr:
    return binaryInstances(op, {DType::Bool});
  case OpKind::Select:
    return {{"f32",
             [](Builder &b) {
               b.output("y", b.select(b.input("c", ty(DType::Bool, {3, 1})),
                                      b.input("a", ty(DType::F32, {1, 40})),
                                      b.input("b", ty(DType::F32, {}))));
             }},
            {"i64", [](Builder &b) {
               b.output("y", b.select(b.input("c", ty(DType::Bool, {5})),
                                      b.input("a", ty(DType::I64, {5})),
                                      b.input("b", ty(DType::I64, {5}))));
             }}};
  case OpKind::Cast: {
    std::vector<Instance> out;
    for (DType from : kAllDTypes)
      for (DType to : kAllDTypes)
        out.push_back(
            {std::string(dtypeName(from)) + "->" + std::string(dtypeName(to)),
             [=](Builder &b) {
               b.output("y", b.cast(b.input("x", ty(from, {3, 50})), to));
             },
             -300, 300});
    return out;
  }
  case OpKind::Constant:
    return {{"f32", [](Builder &b) {
               Tensor c = Tensor::fromDoubles(
                   DType::F32, {2, 2}, std::vector<double>{1, -2, 3.5, 4});
               Value *x = b.input("x", ty(DType::F32, {2, 2}));
               b.output("y", b.add(x, b.constant(c)));
               b.output("c", b.constant(c));
             }}};
  case OpKind::Iota:
    return {{"f32",
             [](Builder &b) {
               b.output("y", b.iota(DType::F32, {3, 4}, 1));
             }},
            {"u8wrap",
             [](Builder &b) { b.output("y", b.iota(DType::U8, {300}, 0)); }},
            {"i64", [](Builder &b) {
               b.output("y", b.iota(DType::I64, {2, 3, 4}, -1));
             }}};
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    return reduceInstances(op);
  case OpKind::Argmax: {
    std::vector<Instance> out;
    for (DType t : {DType::F32, DType::I32, DType::U8})
      for (int64_t axis : {0, 1, -1})
        for (bool keep : {false, true})
          out.push_back(
              {std::string(dtypeName(t)) + std::to_string(axis),
               [=](Builder &b) {
                 b.output("y",
                          b.argmax(b.input("x", ty(t, {3, 4, 5})), axis, keep));
               },
               0, 3});
    return out;
  }
  case OpKind::Reshape:
    return {{"f32", [](Builder &b) {
               b.output("y", b.reshape(b.input("x", ty(DType::F32, {2, 3, 4})),
                                       {6, -1}));
             }}};
  case OpKind::Transpose:
    return {
        {"f32",
         [](Builder &b) {
           b.output("y", b.transpose(b.input("x", ty(DType::F32, {2, 3, 4})),
                                     {2, 0, 1}));
         }},
        {"bool", [](Builder &b) {
           b.output("y",
                    b.transpose(b.input("x", ty(DType::Bool, {5, 7})), {1, 0}));
         }}};
  case OpKind::BroadcastTo:
    return {{"f32", [](Builder &b) {
               b.output("y", b.broadcastTo(b.input("x", ty(DType::F64, {3, 1})),
                                           {2, 3, 4}));
             }}};
  case OpKind::Slice:
    return {{"steps",
             [](Builder &b) {
               b.output("y",
                        b.slice(b.input("x", ty(DType::F32, {5, 6, 7})),
                                {-1, 1}, {INT64_MIN, 100}, {0, 2}, {-2, 3}));
             }},
            {"negative steps on two axes",
             [](Builder &b) {
               b.output("y", b.slice(b.input("x", ty(DType::F64, {5, 6})),
                                     {4, 5}, {0, 0}, {0, 1}, {-2, -3}));
             }},
            {"empty", [](Builder &b) {
               b.output("y", b.slice(b.input("x", ty(DType::I32, {5, 6})), {3},
                                     {2}, {1}));
             }}};
  case OpKind::Concat:
    // Rows before the axis are filled piece after piece by one kernel:
    // short pieces by a loop, long ones (64 floats and more) by memcpy.
    return {
        {"axis1",
         [](Builder &b) {
           b.output("y", b.concat({b.input("a", ty(DType::F32, {2, 3, 4})),
                                   b.input("b", ty(DType::F32, {2, 1, 4})),
                                   b.input("c", ty(DType::F32, {2, 0, 4}))},
                                  -2));
         }},
        {"long rows",
         [](Builder &b) {
           Value *a = b.input("a", ty(DType::F32, {5, 70}));
           b.output("y", b.concat({a, b.input("b", ty(DType::F32, {5, 3})),
                                   b.input("c", ty(DType::F32, {5, 130})), a},
                                  1));
         }},
        {"bool, one piece twice",
         [](Builder &b) {
           Value *x = b.input("x", ty(DType::Bool, {3, 2, 5}));
           b.output(
               "y",
               b.concat({x, b.input("z", ty(DType::Bool, {3, 2, 1})), x}, 2));
         }},
        {"i64 with a constant",
         [](Builder &b) {
           Value *c = b.constant(Tensor::fromDoubles(
               DType::I64, {4, 2},
               std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8}));
           b.output("y",
                    b.concat({b.input("x", ty(DType::I64, {4, 3})), c}, 1));
         }},
        {"leading axis", [](Builder &b) {
           b.output("y", b.concat({b.input("a", ty(DType::F64, {2, 3})),
                                   b.input("b", ty(DType::F64, {4, 3}))},
                                  0));
         }}};
  case OpKind::Pad:
    return {
        {"f32",
         [](Builder &b) {
           b.output("y", b.pad(b.input("x", ty(DType::F32, {2, 3})),
                               {1, 0, 2, 3}, -1.5));
         }},
        {"i64", [](Builder &b) {
           b.output("y", b.pad(b.input("x", ty(DType::I64, {4})), {0, 2}, 7));
         }}};
  case OpKind::OneHot:
    return {{"f32",
             [](Builder &b) {
               Tensor idx = Tensor::fromDoubles(
                   DType::I64, {2, 3}, std::vector<double>{0, 3, 1, 3, 2, 0});
               b.output("y", b.oneHot(b.constant(idx), 4));
             }},
            {"i32 to f64", [](Builder &b) {
               Tensor idx = Tensor::fromDoubles(
                   DType::I32, {5}, std::vector<double>{2, 0, 1, 1, 2});
               b.output("y", b.oneHot(b.constant(idx), 3, DType::F64));
             }}};
  case OpKind::Gather:
    return {{"axis1",
             [](Builder &b) {
               Value *data = b.input("data", ty(DType::F32, {3, 5, 2}));
               Tensor idx = Tensor::fromDoubles(
                   DType::I64, {2, 2}, std::vector<double>{0, -1, 4, 2});
               b.output("y", b.gather(data, b.constant(idx), 1));
             }},
            {"axis0i32", [](Builder &b) {
               Value *data = b.input("data", ty(DType::I32, {4}));
               Tensor idx = Tensor::fromDoubles(DType::I32, {3},
                                                std::vector<double>{3, 0, -4});
               b.output("y", b.gather(data, b.constant(idx), 0));
             }}};
  case OpKind::MatMul: {
    std::vector<std::pair<Shape, Shape>> shapes = {{{3, 4}, {4, 5}},
                                                   {{4}, {4, 5}},
                                                   {{3, 4}, {4}},
                                                   {{4}, {4}},
                                                   {{2, 1, 3, 4}, {5, 4, 6}},
                                                   {{0, 4}, {4, 5}},
                                                   {{3, 0}, {0, 5}},
                                                   {{70, 33}, {33, 65}}};
    std::vector<Instance> out;
    for (DType t : {DType::F32, DType::F64, DType::I32})
      for (auto &[sa, sb] : shapes)
        out.push_back({std::string(dtypeName(t)) + shapeStr(sa) + shapeStr(sb),
                       [=](Builder &b) {
                         b.output("y", b.matmul(b.input("a", ty(t, sa)),
                                                b.input("b", ty(t, sb))));
                       }});
    return out;
  }
  case OpKind::Attention: {
    // Small, and larger than one block of queries (32) and of keys (128).
    std::vector<Instance> out;
    for (DType t : kFloats)
      for (bool causal : {false, true}) {
        std::string name = std::string(dtypeName(t)) + (causal ? "causal" : "");
        out.push_back({name + "small", [=](Builder &b) {
                         b.output("y",
                                  b.attention(b.input("q", ty(t, {2, 3, 4})),
                                              b.input("k", ty(t, {2, 5, 4})),
                                              b.input("v", ty(t, {2, 5, 3})),
                                              0.5, causal));
                       }});
        out.push_back({name + "blocks", [=](Builder &b) {
                         b.output("y",
                                  b.attention(b.input("q", ty(t, {2, 70, 8})),
                                              b.input("k", ty(t, {2, 150, 8})),
                                              b.input("v", ty(t, {2, 150, 5})),
                                              0.35, causal));
                       }});
      }
    return out;
  }
  case OpKind::Conv2D: {
    std::vector<std::pair<std::string, Conv2DOptions>> variants = {
        {"plain", {}},
        {"same", {{1, 1}, {1, 1, 1, 1}, {1, 1}, 1}},
        {"strided", {{2, 3}, {0, 1, 2, 0}, {1, 1}, 1}},
        {"dilated", {{1, 1}, {2, 2, 2, 2}, {2, 2}, 1}}};
    std::vector<Instance> out;
    for (DType t : kFloats)
      for (auto &[name, opts] : variants)
        out.push_back(
            {std::string(dtypeName(t)) + name, [=](Builder &b) {
               b.output("y", b.conv2d(b.input("x", ty(t, {2, 4, 9, 8})),
                                      b.input("w", ty(t, {6, 4, 3, 3})), opts));
             }});
    out.push_back(
        {"groups", [](Builder &b) {
           Conv2DOptions o;
           o.groups = 2;
           b.output("y",
                    b.conv2d(b.input("x", ty(DType::F32, {1, 4, 6, 6})),
                             b.input("w", ty(DType::F32, {6, 2, 3, 3})), o));
         }});
    return out;
  }
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D: {
    std::vector<Instance> out;
    for (bool countPad : {false, true}) {
      if (countPad && op == OpKind::MaxPool2D)
        continue;
      out.push_back({countPad ? "countpad" : "plain", [=](Builder &b) {
                       Pool2DOptions o;
                       o.kernel = {3, 2};
                       o.strides = {2, 1};
                       o.pads = {1, 0, 1, 1};
                       o.countIncludePad = countPad;
                       Value *x = b.input("x", ty(DType::F32, {2, 3, 9, 8}));
                       b.output("y", op == OpKind::MaxPool2D
                                         ? b.maxPool2d(x, o)
                                         : b.avgPool2d(x, o));
                     }});
    }
    // Windows as explicit vectors per row (WindowKernels.cpp): rows of
    // whole vectors and a masked tail (35 outputs), a stride past the
    // kernel, a row of exactly one vector, overlapping windows (3x3 of
    // stride 2 and 1), and f64 with 8 lanes.
    struct Rows {
      const char *label;
      int64_t kh, kw, sh, sw;
      DType t;
      Shape xs;
    };
    for (Rows r : {Rows{"rows2s2", 2, 2, 2, 2, DType::F32, {2, 3, 6, 70}},
                   Rows{"rows2s3", 2, 2, 3, 3, DType::F32, {1, 2, 8, 34}},
                   Rows{"rows3s4", 3, 3, 4, 4, DType::F32, {1, 2, 9, 66}},
                   Rows{"rows1x2", 1, 2, 1, 2, DType::F32, {1, 2, 3, 10}},
                   Rows{"rows3s2", 3, 3, 2, 2, DType::F32, {1, 2, 9, 37}},
                   Rows{"rows3s1", 3, 3, 1, 1, DType::F32, {1, 2, 5, 40}},
                   Rows{"rows2s2f64", 2, 2, 2, 2, DType::F64, {1, 2, 4, 36}}})
      out.push_back({r.label, [=](Builder &b) {
                       Pool2DOptions o;
                       o.kernel = {r.kh, r.kw};
                       o.strides = {r.sh, r.sw};
                       Value *x = b.input("x", ty(r.t, r.xs));
                       b.output("y", op == OpKind::MaxPool2D
                                         ? b.maxPool2d(x, o)
                                         : b.avgPool2d(x, o));
                     }});
    // Every window inside the image: the kernel without bounds tests.
    for (auto [k, stride] : {std::pair<int64_t, int64_t>{2, 2}, {3, 1}})
      out.push_back(
          {"inside" + std::to_string(k) + "s" + std::to_string(stride),
           [=](Builder &b) {
             Pool2DOptions o;
             o.kernel = {k, k};
             o.strides = {stride, stride};
             Value *x = b.input("x", ty(DType::F32, {2, 3, 17, 20}));
             b.output("y", op == OpKind::MaxPool2D ? b.maxPool2d(x, o)
                                                   : b.avgPool2d(x, o));
           }});
    return out;
  }
  case OpKind::StopGradient:
    return unaryInstances(
        op, std::vector<DType>(std::begin(kAllDTypes), std::end(kAllDTypes)));
  case OpKind::Conv2DInputGrad:
  case OpKind::Conv2DWeightGrad:
    return convGradInstances(op);
  case OpKind::MaxPool2DGrad:
  case OpKind::AvgPool2DGrad:
    return poolGradInstances(op);
  case OpKind::ScatterAdd:
    return scatterAddInstances();
  case OpKind::Dropout: {
    std::vector<Instance> out;
    for (DType t : kFloats)
      for (Shape s : {Shape{}, Shape{7}, Shape{3, 5000}, Shape{2, 0, 3}})
        for (double rate : {0.0, 0.3, 0.9})
          out.push_back({std::string(dtypeName(t)) + shapeStr(s) + " rate " +
                             std::to_string(rate),
                         [=](Builder &b) {
                           Attributes a;
                           a.set("rate", rate);
                           a.set("seed", int64_t{7});
                           b.output("y",
                                    b.op(OpKind::Dropout,
                                         {b.input("x", ty(t, s)),
                                          b.input("step", ty(DType::I64, {}))},
                                         a));
                         },
                         -100, 100});
    return out;
  }
  case OpKind::Scan:
    return scanInstances();
  }
  __builtin_unreachable();
}

class ExecutableOpTest : public ::testing::TestWithParam<OpKind> {};

TEST_P(ExecutableOpTest, MatchesInterpreter) {
  std::vector<Instance> instances = instancesOf(GetParam());
  ASSERT_FALSE(instances.empty());
  for (const Instance &inst : instances) {
    SCOPED_TRACE(std::string(opName(GetParam())) + " " + inst.label);
    Graph g("test");
    Builder b(g);
    inst.build(b);
    auto inputs = uniformInputs(g, 42, inst.lo, inst.hi);
    auto want = interpret(g, inputs);
    for (int threads : {1, 2}) {
      CompileOptions options;
      options.threads = threads;
      auto exe = compile(g, options);
      auto got = exe->run(inputs);
      for (const Output &o : g.outputs()) {
        const Tensor &w = want.at(o.name);
        double rtol = relTolerance(w.dtype());
        EXPECT_EQ(compareTensors(got.at(o.name), w, rtol, rtol), "")
            << "output " << o.name << " with " << threads << " threads";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, ExecutableOpTest,
                         ::testing::ValuesIn(allOps().begin(), allOps().end()),
                         [](const ::testing::TestParamInfo<OpKind> &info) {
                           return std::string(opName(info.param));
                         });

} // namespace

namespace {

/// The vectorized gradient of a 2x2 max pool sends each window's gradient
/// to its first maximum in row-major order, a NaN beating every number and
/// the first NaN staying, as the interpreter does: windows of ties, of
/// NaNs, of infinities and of signed zeros.
TEST(ExecutableOps, VectorRowPoolsKeepNaNsInfinitiesAndSignedZeros) {
  // Rows of 18 outputs (a vector of 16 and a masked tail) whose windows
  // hold NaN, infinities and zeros of both signs in every position.
  const double nan = std::nan(""), inf = INFINITY;
  std::vector<double> specials = {nan, -0.0, 0.0, inf, -inf, 1, -1, 0.0};
  std::vector<double> x;
  for (int64_t i = 0; i < 2 * 36; ++i)
    x.push_back(specials[(i * 5 + i / 7) % specials.size()]);
  for (OpKind op : {OpKind::MaxPool2D, OpKind::AvgPool2D}) {
    Graph g("specials");
    Builder b(g);
    Pool2DOptions o;
    o.kernel = {2, 2};
    o.strides = {2, 2};
    Value *xv = b.input("x", {DType::F32, {1, 1, 2, 36}});
    b.output("y",
             op == OpKind::MaxPool2D ? b.maxPool2d(xv, o) : b.avgPool2d(xv, o));
    std::map<std::string, Tensor> inputs = {
        {"x", Tensor::fromDoubles(DType::F32, {1, 1, 2, 36}, x)}};
    auto want = interpret(g, inputs);
    auto got = compile(g)->run(inputs);
    EXPECT_TRUE(got.at("y").identical(want.at("y"))) << opName(op);
  }
}

TEST(ExecutableOps, MaxPoolGradientPicksTheFirstMaximum) {
  const double nan = std::nan(""), inf = INFINITY;
  // Row 0 and row 1 of 8 windows of 2x2 (16 columns).
  std::vector<double> top = {1,    1,   2,   5,   nan, 3,  4, nan,
                             -0.0, 0.0, inf, inf, -1,  -1, 7, 8};
  std::vector<double> bottom = {1,   1,    5, 2,   nan, nan, 9, 1,
                                0.0, -0.0, 1, inf, -1,  -1,  8, 7};
  std::vector<double> x = top;
  x.insert(x.end(), bottom.begin(), bottom.end());
  Graph g("ties");
  Builder b(g);
  Pool2DOptions o;
  o.kernel = {2, 2};
  o.strides = {2, 2};
  Value *xv = b.input("x", {DType::F32, {1, 1, 2, 16}});
  Value *dy = b.input("dy", {DType::F32, {1, 1, 1, 8}});
  b.output("dx", b.maxPool2dGrad(xv, dy, o));
  std::vector<double> grads = {1, 2, 3, 4, 5, 6, 7, -0.0};
  std::map<std::string, Tensor> inputs = {
      {"x", Tensor::fromDoubles(DType::F32, {1, 1, 2, 16}, x)},
      {"dy", Tensor::fromDoubles(DType::F32, {1, 1, 1, 8}, grads)}};
  auto want = interpret(g, inputs);
  auto got = compile(g)->run(inputs);
  EXPECT_TRUE(got.at("dx").identical(want.at("dx")));
}

} // namespace
