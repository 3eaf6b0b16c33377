//===- InterpreterTest.cpp - The reference interpreter --------------------===//
//
// Every case of the semantics table through `evaluate`, and whole graphs
// through `interpret`: an MLP and two CNNs checked against plain loops
// written here, and the errors of binding inputs.
//
//===----------------------------------------------------------------------===//
#include "InterpreterCases.h"

#include "ir/Builder.h"
#include "ir/Interpreter.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <set>

using namespace adjoint;
using namespace adjoint::test;

namespace {

//===----------------------------------------------------------------------===//
// The semantics table
//===----------------------------------------------------------------------===//

class OpSemantics : public testing::TestWithParam<OpCase> {};

TEST_P(OpSemantics, MatchesTheContract) { checkOpCase(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Interpreter, OpSemantics,
                         testing::ValuesIn(allOpCases()),
                         [](const testing::TestParamInfo<OpCase> &info) {
                           return info.param.name;
                         });

TEST(OpSemanticsTable, CaseNamesAreUniqueIdentifiers) {
  std::set<std::string> seen;
  for (const OpCase &c : allOpCases()) {
    EXPECT_TRUE(seen.insert(c.name).second) << "duplicate case " << c.name;
    EXPECT_FALSE(c.name.empty());
    for (char ch : c.name)
      EXPECT_TRUE(std::isalnum((unsigned char)ch) || ch == '_') << c.name;
  }
}

//===----------------------------------------------------------------------===//
// Plain-loop references, in double
//===----------------------------------------------------------------------===//

std::vector<double> toDoubles(const Tensor &t) {
  std::vector<double> v((size_t)t.numElements());
  for (int64_t i = 0; i < t.numElements(); ++i)
    v[i] = t.elementAsDouble(i);
  return v;
}

/// Deterministic test data in [-1, 1].
Tensor wave(Shape shape, double phase) {
  Tensor t(TensorType{DType::F32, std::move(shape)});
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.data<float>()[i] = (float)std::sin(0.37 * (double)i + phase);
  return t;
}

/// An NCHW activation.
struct Image {
  int64_t n, c, h, w;
  std::vector<double> v;
  double &at(int64_t b, int64_t ch, int64_t y, int64_t x) {
    return v[((b * c + ch) * h + y) * w + x];
  }
};

/// conv2d with equal strides and pads on every side.
Image convRef(Image &x, const std::vector<double> &w, int64_t o, int64_t k,
              int64_t stride, int64_t pad, int64_t groups) {
  int64_t cg = x.c / groups, og = o / groups;
  int64_t oh = (x.h + 2 * pad - k) / stride + 1;
  int64_t ow = (x.w + 2 * pad - k) / stride + 1;
  Image out{x.n, o, oh, ow, std::vector<double>(x.n * o * oh * ow)};
  for (int64_t b = 0; b < x.n; ++b)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t xx = 0; xx < ow; ++xx) {
          double sum = 0;
          int64_t g = oc / og;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t i = 0; i < k; ++i)
              for (int64_t j = 0; j < k; ++j) {
                int64_t iy = y * stride - pad + i, ix = xx * stride - pad + j;
                if (iy >= 0 && iy < x.h && ix >= 0 && ix < x.w)
                  sum += x.at(b, g * cg + c, iy, ix) *
                         w[((oc * cg + c) * k + i) * k + j];
              }
          out.at(b, oc, y, xx) = sum;
        }
  return out;
}

/// A k x k pool with stride k and no padding: max, or else average.
Image poolRef(Image &x, int64_t k, bool max) {
  Image out{x.n, x.c, x.h / k, x.w / k,
            std::vector<double>(x.n * x.c * (x.h / k) * (x.w / k))};
  for (int64_t b = 0; b < x.n; ++b)
    for (int64_t c = 0; c < x.c; ++c)
      for (int64_t y = 0; y < out.h; ++y)
        for (int64_t xx = 0; xx < out.w; ++xx) {
          double acc = max ? -INFINITY : 0;
          for (int64_t i = 0; i < k; ++i)
            for (int64_t j = 0; j < k; ++j) {
              double v = x.at(b, c, y * k + i, xx * k + j);
              acc = max ? std::max(acc, v) : acc + v;
            }
          out.at(b, c, y, xx) = max ? acc : acc / (double)(k * k);
        }
  return out;
}

/// x[m,k] @ w[k,n] + b[n].
std::vector<double> denseRef(const std::vector<double> &x,
                             const std::vector<double> &w,
                             const std::vector<double> &b, int64_t m, int64_t k,
                             int64_t n) {
  std::vector<double> out(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = b[j];
      for (int64_t p = 0; p < k; ++p)
        sum += x[i * k + p] * w[p * n + j];
      out[i * n + j] = sum;
    }
  return out;
}

void reluRef(std::vector<double> &v) {
  for (double &x : v)
    x = std::max(x, 0.0);
}

/// Softmax over the rows of an [m, n] matrix.
std::vector<double> softmaxRef(std::vector<double> v, int64_t m, int64_t n) {
  for (int64_t i = 0; i < m; ++i) {
    double mx = -INFINITY, sum = 0;
    for (int64_t j = 0; j < n; ++j)
      mx = std::max(mx, v[i * n + j]);
    for (int64_t j = 0; j < n; ++j)
      sum += std::exp(v[i * n + j] - mx);
    for (int64_t j = 0; j < n; ++j)
      v[i * n + j] = std::exp(v[i * n + j] - mx) / sum;
  }
  return v;
}

void expectClose(const Tensor &got, const std::vector<double> &want,
                 double tolerance) {
  ASSERT_EQ(got.numElements(), (int64_t)want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got.elementAsDouble(i), want[i],
                tolerance * (1 + std::fabs(want[i])))
        << "element " << i;
}

std::vector<double> paramData(const Graph &g, Value *v) {
  return toDoubles(g.findParam(v)->data);
}

//===----------------------------------------------------------------------===//
// Whole graphs
//===----------------------------------------------------------------------===//

TEST(Interpret, MlpWithSoftmaxMatchesPlainLoops) {
  Graph g("mlp");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {4, 3}});
  Value *w1 = b.param("w1", wave({3, 5}, 0.1));
  Value *b1 = b.param("b1", wave({5}, 0.2));
  Value *w2 = b.param("w2", wave({5, 2}, 0.3));
  Value *b2 = b.param("b2", wave({2}, 0.4));
  b.output("probs", b.softmax(b.dense(b.relu(b.dense(x, w1, b1)), w2, b2)));

  Tensor in = wave({4, 3}, 1.0);
  std::map<std::string, Tensor> out = interpret(g, {{"x", in}});
  ASSERT_EQ(out.size(), 1u);
  const Tensor &probs = out.at("probs");
  EXPECT_EQ(typeStr(probs.type()), "f32[4,2]");

  std::vector<double> h =
      denseRef(toDoubles(in), paramData(g, w1), paramData(g, b1), 4, 3, 5);
  reluRef(h);
  std::vector<double> z =
      denseRef(h, paramData(g, w2), paramData(g, b2), 4, 5, 2);
  expectClose(probs, softmaxRef(z, 4, 2), 1e-6);
}

TEST(Interpret, ExampleCnnMatchesPlainLoops) {
  // The example CNN (conv5x5x32 SAME, relu, maxpool2, conv5x5x64 SAME, relu,
  // maxpool2, dense 3136x1024, relu, dense 1024x10) at batch 2.
  Graph g("cnn");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {2, 1, 28, 28}});
  Value *k1 = b.param("k1", {DType::F32, {32, 1, 5, 5}}, heNormal(1));
  Value *k2 = b.param("k2", {DType::F32, {64, 32, 5, 5}}, heNormal(2));
  Value *w1 = b.param("w1", {DType::F32, {3136, 1024}}, glorotUniform(3));
  Value *b1 = b.param("b1", wave({1024}, 0.5));
  Value *w2 = b.param("w2", {DType::F32, {1024, 10}}, glorotUniform(4));
  Value *b2 = b.param("b2", wave({10}, 0.6));
  Conv2DOptions same;
  same.pads = {2, 2, 2, 2};
  Pool2DOptions pool;
  pool.kernel = {2, 2};
  pool.strides = {2, 2};
  Value *h = b.maxPool2d(b.relu(b.conv2d(x, k1, same)), pool);
  h = b.maxPool2d(b.relu(b.conv2d(h, k2, same)), pool);
  h = b.relu(b.dense(b.flatten(h), w1, b1));
  b.output("logits", b.dense(h, w2, b2));

  Tensor in = wave({2, 1, 28, 28}, 0.0);
  Tensor logits = interpret(g, {{"x", in}}).at("logits");
  EXPECT_EQ(typeStr(logits.type()), "f32[2,10]");

  Image a{2, 1, 28, 28, toDoubles(in)};
  a = convRef(a, paramData(g, k1), 32, 5, 1, 2, 1);
  reluRef(a.v);
  a = poolRef(a, 2, true);
  a = convRef(a, paramData(g, k2), 64, 5, 1, 2, 1);
  reluRef(a.v);
  a = poolRef(a, 2, true);
  std::vector<double> d =
      denseRef(a.v, paramData(g, w1), paramData(g, b1), 2, 3136, 1024);
  reluRef(d);
  expectClose(logits,
              denseRef(d, paramData(g, w2), paramData(g, b2), 2, 1024, 10),
              1e-4);
}

TEST(Interpret, GroupedStridedCnnMatchesPlainLoops) {
  Graph g("cnn2");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {2, 2, 6, 6}});
  Value *k1 = b.param("k1", wave({4, 1, 3, 3}, 0.7));
  Value *bias = b.param("bias", wave({4, 1, 1}, 0.8));
  Value *k2 = b.param("k2", wave({3, 4, 3, 3}, 0.9));
  Conv2DOptions grouped;
  grouped.pads = {1, 1, 1, 1};
  grouped.groups = 2;
  Pool2DOptions avg;
  avg.kernel = {2, 2};
  avg.strides = {2, 2};
  Conv2DOptions strided;
  strided.strides = {2, 2};
  strided.pads = {1, 1, 1, 1};
  Value *h = b.avgPool2d(b.relu(b.add(b.conv2d(x, k1, grouped), bias)), avg);
  h = b.conv2d(h, k2, strided); // [2,3,2,2]
  b.output("out", b.logSoftmax(b.flatten(h), 1));

  Tensor in = wave({2, 2, 6, 6}, 0.3);
  Tensor out = interpret(g, {{"x", in}}).at("out");
  EXPECT_EQ(typeStr(out.type()), "f32[2,12]");

  Image a{2, 2, 6, 6, toDoubles(in)};
  a = convRef(a, paramData(g, k1), 4, 3, 1, 1, 2);
  std::vector<double> bv = paramData(g, bias);
  for (int64_t i = 0; i < (int64_t)a.v.size(); ++i)
    a.v[i] += bv[i / 36 % 4];
  reluRef(a.v);
  a = poolRef(a, 2, false);
  a = convRef(a, paramData(g, k2), 3, 3, 2, 1, 1);
  std::vector<double> p = softmaxRef(a.v, 2, 12);
  for (double &v : p)
    v = std::log(v);
  expectClose(out, p, 1e-5);
}

//===----------------------------------------------------------------------===//
// Binding inputs and reporting errors
//===----------------------------------------------------------------------===//

/// A graph computing relu(%x) + %y, with %x: f32[2,3] and %y: f32[3].
struct TwoInputs {
  Graph g{"two"};
  TwoInputs() {
    Builder b(g);
    Value *x = b.input("x", {DType::F32, {2, 3}});
    Value *y = b.input("y", {DType::F32, {3}});
    b.output("z", b.add(b.relu(x), y));
  }
};

/// The message of the Error that `fn` throws, checking its kind.
template <typename Fn> std::string errorOf(ErrorKind kind, Fn fn) {
  try {
    fn();
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

TEST(Interpret, BindsInputsByName) {
  TwoInputs t;
  auto out = interpret(t.g, {{"x", f32({2, 3}, {-1, 2, -3, 4, -5, 6})},
                             {"y", f32({3}, {10, 20, 30})}});
  EXPECT_TRUE(out.at("z").identical(f32({2, 3}, {10, 22, 30, 14, 20, 36})));
}

TEST(Interpret, RejectsAnUnknownInput) {
  TwoInputs t;
  std::string msg = errorOf(ErrorKind::BadInput, [&] {
    interpret(t.g, {{"x", f32({2, 3}, {1, 2, 3, 4, 5, 6})},
                    {"y", f32({3}, {1, 2, 3})},
                    {"w", f32({1}, {0})}});
  });
  EXPECT_EQ(msg, "unknown input %w (graph two takes %x, %y)");
}

TEST(Interpret, RejectsAMissingInput) {
  TwoInputs t;
  std::string msg = errorOf(ErrorKind::BadInput, [&] {
    interpret(t.g, {{"x", f32({2, 3}, {1, 2, 3, 4, 5, 6})}});
  });
  EXPECT_EQ(msg, "missing input %y (f32[3])");
}

TEST(Interpret, RejectsAWrongShape) {
  TwoInputs t;
  std::string msg = errorOf(ErrorKind::BadInput, [&] {
    interpret(t.g, {{"x", f32({3, 2}, {1, 2, 3, 4, 5, 6})},
                    {"y", f32({3}, {1, 2, 3})}});
  });
  EXPECT_EQ(msg, "input %x expects f32[2,3], got f32[3,2]");
}

TEST(Interpret, RejectsAWrongDType) {
  TwoInputs t;
  std::string msg = errorOf(ErrorKind::BadInput, [&] {
    interpret(t.g, {{"x", f32({2, 3}, {1, 2, 3, 4, 5, 6})},
                    {"y", f64({3}, {1, 2, 3})}});
  });
  EXPECT_EQ(msg, "input %y expects f32[3], got f64[3]");
}

TEST(Interpret, RejectsAnInputWithoutData) {
  Graph g("scalar");
  Builder b(g);
  b.output("y", b.neg(b.input("x", {DType::F32, {}})));
  std::string msg = errorOf(ErrorKind::BadInput, [&] {
    interpret(g, {{"x", Tensor()}});
  });
  EXPECT_EQ(msg, "input %x has no data");
}

TEST(Interpret, NodeErrorsNameTheNode) {
  Graph g("lookup");
  Builder b(g);
  Value *table = b.param("table", f32({3, 2}, {1, 2, 3, 4, 5, 6}));
  Value *idx = b.input("idx", {DType::I64, {2}});
  b.output("rows", b.op(OpKind::Gather, {table, idx}, {}, "rows"));
  std::string msg = errorOf(ErrorKind::Failed, [&] {
    interpret(g, {{"idx", i64({2}, {1, 7})}});
  });
  EXPECT_EQ(msg, "node %rows (gather): gather: index 7 is out of range "
                 "[-3, 3) for axis 0 of f32[3,2]");
}

TEST(Interpret, RejectsAGraphThatFailsVerification) {
  Graph g("bad");
  Value *x = g.addInput("x", {DType::F32, {2}});
  Node *n = g.addNode(OpKind::Neg, {x}, {}, "y", {DType::F32, {3}});
  g.addOutput("y", n->result());
  std::string msg = errorOf(ErrorKind::BadInput, [&] {
    interpret(g, {{"x", f32({2}, {1, 2})}});
  });
  EXPECT_NE(msg.find("node %y (neg)"), std::string::npos) << msg;
}

TEST(Interpret, ResultsDoNotAliasInputsOrParameters) {
  Graph g("alias");
  Builder b(g);
  Value *x = b.input("x", {DType::F32, {2}});
  Value *p = b.param("p", f32({2}, {5, 6}));
  b.output("x_out", x);
  b.output("p_out", p);
  b.output("reshaped", b.reshape(x, {1, 2}));
  Tensor in = f32({2}, {1, 2});
  auto out = interpret(g, {{"x", in}});
  for (const char *name : {"x_out", "p_out", "reshaped"})
    out.at(name).data<float>()[0] = 100;
  EXPECT_TRUE(in.identical(f32({2}, {1, 2})));
  EXPECT_TRUE(g.findParam(p)->data.identical(f32({2}, {5, 6})));
}

TEST(Interpret, KeepsValuesThatAreUsedAfterAnOutput) {
  // %a is an output and is also used by a later node; %b feeds two nodes.
  Graph g("reuse");
  Builder b(g);
  Value *x = b.input("x", {DType::I32, {2}});
  Value *a = b.neg(x);
  Value *c = b.add(a, a);
  b.output("a", a);
  b.output("d", b.mul(c, b.add(c, x)));
  auto out = interpret(g, {{"x", i32({2}, {1, -2})}});
  EXPECT_TRUE(out.at("a").identical(i32({2}, {-1, 2})));
  // c = 2a = [-2, 4]; c + x = [-1, 2]; d = [2, 8].
  EXPECT_TRUE(out.at("d").identical(i32({2}, {2, 8})));
}

} // namespace
