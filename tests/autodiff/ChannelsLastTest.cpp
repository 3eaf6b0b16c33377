//===- ChannelsLastTest.cpp - conv2d and pools with data_format NHWC ------===//
//
// The four kinds of test for the NHWC forms: types, semantics against the
// NCHW ops on permuted data (computed element by element here, not by the
// lowering under test), the JIT against the interpreter, gradients by
// finite differences, and bad input.
//
//===----------------------------------------------------------------------===//
#include "ir/ChannelsLast.h"
#include "compiler/Executable.h"
#include "ir/Builder.h"
#include "ir/Error.h"
#include "ir/Interpreter.h"
#include "ir/ShapeInference.h"
#include "ir/TextFormat.h"
#include "tests/autodiff/GradCheck.h"
#include "tests/support/RandomTensor.h"

#include <gtest/gtest.h>

using namespace adjoint;
using adjoint::testing::CaseBuilder;
using adjoint::testing::GradCheckOptions;

namespace {

TensorType f32(Shape s) { return {DType::F32, std::move(s)}; }

/// `t` with its dimensions permuted as transpose with `perm` would.
Tensor permuted(const Tensor &t, std::vector<int64_t> perm) {
  Shape in = t.shape();
  Tensor out({t.dtype(), permuteShape(in, perm)});
  std::vector<int64_t> inStrides = stridesOf(in);
  std::vector<int64_t> index(in.size(), 0);
  for (int64_t i = 0; i < out.numElements(); ++i) {
    int64_t from = 0;
    for (size_t d = 0; d < perm.size(); ++d)
      from += index[d] * inStrides[perm[d]];
    out.setElementFromDouble(i, t.elementAsDouble(from));
    for (size_t d = perm.size(); d-- > 0;) {
      if (++index[d] < out.shape()[d])
        break;
      index[d] = 0;
    }
  }
  return out;
}

/// conv (SAME, stride 2 on the second) + bias + relu, max and avg pools, in
/// `format`, with x and w as inputs.
Graph windows(const std::string &format, Shape x, Shape w) {
  Graph g("windows");
  Builder b(g);
  Value *xv = b.input("x", f32(x));
  Value *wv = b.input("w", f32(w));
  Conv2DOptions conv;
  conv.pads = {1, 1, 1, 1};
  conv.dataFormat = format;
  Value *c = b.relu(b.conv2d(xv, wv, conv));
  Conv2DOptions strided = conv;
  strided.strides = {2, 1};
  strided.pads = {0, 1, 1, 0};
  b.output("c", c);
  b.output("s", b.conv2d(xv, wv, strided));
  Pool2DOptions pool;
  pool.kernel = {2, 2};
  pool.strides = {2, 2};
  pool.dataFormat = format;
  b.output("m", b.maxPool2d(c, pool));
  pool.pads = {1, 0, 0, 1};
  pool.kernel = {2, 3};
  b.output("a", b.avgPool2d(c, pool));
  return g;
}

TEST(ChannelsLast, TypesFollowTheLayout) {
  Graph g = windows("NHWC", {2, 5, 6, 3}, {3, 3, 3, 4});
  EXPECT_EQ(g.outputs()[0].value->type(), f32({2, 5, 6, 4}));
  EXPECT_EQ(g.outputs()[1].value->type(), f32({2, 2, 5, 4}));
  EXPECT_EQ(g.outputs()[2].value->type(), f32({2, 2, 3, 4}));
  EXPECT_EQ(g.outputs()[3].value->type(), f32({2, 3, 3, 4}));
  EXPECT_TRUE(hasChannelsLast(g));
  EXPECT_FALSE(hasChannelsLast(lowerChannelsLast(g)));
  EXPECT_FALSE(hasChannelsLast(windows("NCHW", {2, 3, 5, 6}, {4, 3, 3, 3})));
  // The text form round-trips the attribute.
  Model nhwc{windows("NHWC", {2, 5, 6, 3}, {3, 3, 3, 4}), std::nullopt};
  EXPECT_EQ(printModel(parseModel(printModel(nhwc))), printModel(nhwc));
  EXPECT_NE(printModel(nhwc).find("data_format = \"NHWC\""), std::string::npos);
}

TEST(ChannelsLast, SameValuesAsNchwOnPermutedData) {
  Graph nhwc = windows("NHWC", {2, 5, 6, 3}, {3, 3, 3, 4});
  Graph nchw = windows("NCHW", {2, 3, 5, 6}, {4, 3, 3, 3});
  auto in = adjoint::testing::randomInputs(nhwc, 5, false);
  auto got = interpret(nhwc, in);
  auto want = interpret(nchw, {{"x", permuted(in.at("x"), {0, 3, 1, 2})},
                               {"w", permuted(in.at("w"), {3, 2, 0, 1})}});
  for (const char *name : {"c", "s", "m", "a"})
    EXPECT_TRUE(got.at(name).identical(permuted(want.at(name), {0, 2, 3, 1})))
        << name;
  // The JIT, on 1 and 2 threads, agrees.
  for (int threads : {1, 2}) {
    CompileOptions options;
    options.threads = threads;
    auto jit = compile(nhwc, options)->run(in);
    for (const char *name : {"c", "s", "m", "a"}) {
      const Tensor &a = jit.at(name), &b = got.at(name);
      ASSERT_EQ(a.type(), b.type());
      for (int64_t i = 0; i < a.numElements(); ++i)
        ASSERT_NEAR(a.elementAsDouble(i), b.elementAsDouble(i), 1e-5)
            << name << " element " << i;
    }
  }
}

TEST(ChannelsLast, GradientsByFiniteDifferences) {
  GradCheckOptions opts;
  expectGradientsMatch(
      [](CaseBuilder &b) {
        Value *x = b.uniform({2, 5, 4, 3});
        Conv2DOptions conv;
        conv.pads = {1, 0, 1, 2};
        conv.strides = {2, 1};
        conv.dataFormat = "NHWC";
        Value *c = b.conv2d(x, b.uniform({3, 2, 3, 2}), conv);
        Pool2DOptions pool;
        pool.kernel = {2, 2};
        pool.dataFormat = "NHWC";
        Value *a = b.avgPool2d(c, pool);
        // Distinct values: no ties within a max window.
        Value *m = b.maxPool2d(b.distinct({1, 4, 5, 2}), pool);
        return b.add(sumOf(b, b.mul(a, a)), sumOf(b, b.mul(m, m)));
      },
      opts);
}

TEST(ChannelsLast, BadLayoutsAreNamed) {
  auto error = [](const std::string &text) {
    try {
      parseModel(text);
    } catch (const Error &e) {
      return std::string(e.what());
    }
    return std::string();
  };
  std::string e =
      error("graph g(%x: f32[1,5,5,3], %w: f32[3,3,3,4]) {\n"
            "  %0 = conv2d(%x, %w) {data_format = \"NWHC\"} : f32[1,3,3,4]\n"
            "  return %0\n}\n");
  EXPECT_NE(e.find("data_format must be \"NCHW\" or \"NHWC\", not \"NWHC\""),
            std::string::npos)
      << e;
  // Weights of 2 input channels for an input of 3.
  e = error("graph g(%x: f32[1,5,5,3], %w: f32[3,3,2,4]) {\n"
            "  %0 = conv2d(%x, %w) {data_format = \"NHWC\"} : f32[1,3,3,4]\n"
            "  return %0\n}\n");
  EXPECT_NE(e.find("input channels"), std::string::npos) << e;
  e = error("graph g(%x: f32[1,5,5]) {\n"
            "  %0 = max_pool2d(%x) {kernel = [2, 2], data_format = \"NHWC\"} "
            ": f32[1,4,4]\n  return %0\n}\n");
  EXPECT_NE(e.find("input (N,H,W,C)"), std::string::npos) << e;
}

} // namespace
