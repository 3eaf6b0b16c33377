//===- TextFormatTest.cpp - Printing and parsing the textual IR -----------===//
#include "ir/TextFormat.h"

#include "ir/Builder.h"
#include "ir/Error.h"
#include "tests/support/ModelCompare.h"
#include "tests/support/RandomGraph.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

using namespace adjoint;

namespace {

/// Parses `text`, checks that it prints back unchanged, and returns it.
Model roundTrip(const std::string &text) {
  Model m = parseModel(text, "test.adj");
  EXPECT_EQ(printModel(m), text);
  return m;
}

/// Prints `m`, parses the text, and checks both the model and the text.
void expectRoundTrip(const Model &m) {
  std::string text = printModel(m);
  Model back = parseModel(text, "test.adj");
  EXPECT_EQ(adjoint::testing::modelDifference(m, back), "") << text;
  EXPECT_EQ(printModel(back), text);
}

Tensor f32Bits(std::vector<uint32_t> bits) {
  Tensor t({DType::F32, {(int64_t)bits.size()}});
  std::memcpy(t.bytes(), bits.data(), bits.size() * 4);
  return t;
}

Tensor f64Bits(std::vector<uint64_t> bits) {
  Tensor t({DType::F64, {(int64_t)bits.size()}});
  std::memcpy(t.bytes(), bits.data(), bits.size() * 8);
  return t;
}

TEST(TextFormat, PrintsABuiltGraph) {
  Model m;
  m.graph.setName("net");
  Builder b(m.graph);
  Value *x = b.input("x", {DType::F32, {2, 3}});
  Value *w = b.param("w", {DType::F32, {3, 4}}, glorotUniform(7));
  std::vector<double> bias = {0.5, -1, 0, 2};
  Value *c = b.param("b", Tensor::fromDoubles(DType::F32, {4}, bias));
  Value *h = b.relu(b.add(b.matmul(x, w), c));
  Value *s = b.cast(b.reduceSum(h, std::vector<int64_t>{-1}, true), DType::F64);
  b.output("h", h);
  b.output(s->name(), s);
  b.output("loss", b.reduceSum(h, std::nullopt));
  m.training = TrainingSpec{"loss"};
  EXPECT_EQ(printModel(m),
            "graph net(%x: f32[2,3]) params(%w: f32[3,4] = "
            "glorot_uniform(seed=7), %b: f32[4] = [0.5, -1, 0, 2]) {\n"
            "  %0 = matmul(%x, %w) : f32[2,4]\n"
            "  %1 = add(%0, %b) : f32[2,4]\n"
            "  %2 = relu(%1) : f32[2,4]\n"
            "  %3 = reduce_sum(%2) {axes = [-1], keepdims = true} : f32[2,1]\n"
            "  %4 = cast(%3) {to = f64} : f64[2,1]\n"
            "  %5 = reduce_sum(%2) : f32[]\n"
            "  return h = %2, %4, loss = %5\n"
            "}\n"
            "training { loss = \"loss\" }\n");
  expectRoundTrip(m);
}

TEST(TextFormat, ParsesHandWrittenText) {
  Model m = parseModel(R"(# A two-layer perceptron.
graph mlp(%x: f32[32,100],   %y: i64[32])
  params(%w1: f32[100,64] = glorot_uniform(seed=1),
         %b1: f32[64] = zeros,
         %s: f32[2] = [1.5, -2])   # literal data
{
  %0 = matmul(%x, %w1) : f32[32,64]
  %1 = add(%0, %b1) : f32[32,64]        # numpy broadcasting
  %2 = reduce_sum(%1) {keepdims = true, axes = [1]} : f32[32,1]
  %c = constant() {value = f64[2] [1, 0.5]} : f64[2]
  %"a b" = relu(%1) : f32[32,64]
  %l = reduce_sum(%2) : f32[]
  return %"a b", probs = %2, loss = %l
}
training { epochs = 3, loss = "loss",
           optimizer = momentum(nesterov = true, lr = 0.1),
           labels = "y", features = "x" }
)",
                       "mlp.adj");
  const Graph &g = m.graph;
  EXPECT_EQ(g.name(), "mlp");
  ASSERT_EQ(g.inputs().size(), 2u);
  EXPECT_EQ(g.inputs()[1]->type(), (TensorType{DType::I64, {32}}));
  ASSERT_EQ(g.params().size(), 3u);
  ASSERT_TRUE(g.params()[0].init.has_value());
  EXPECT_EQ(*g.params()[0].init, glorotUniform(1));
  EXPECT_EQ(g.params()[1].init->kind, InitSpec::Kind::Zeros);
  EXPECT_FALSE(g.params()[2].init.has_value());
  EXPECT_EQ(g.params()[2].data.data<float>()[1], -2.0f);
  ASSERT_EQ(g.nodes().size(), 6u);
  const Node &reduce = *g.nodes()[2];
  EXPECT_EQ(reduce.op(), OpKind::ReduceSum);
  EXPECT_EQ(reduce.attr().getInts("axes"), (std::vector<int64_t>{1}));
  EXPECT_TRUE(reduce.attr().getBool("keepdims"));
  const Tensor &value = g.nodes()[3]->attr().getTensor("value");
  EXPECT_EQ(value.data<double>()[1], 0.5);
  EXPECT_EQ(g.nodes()[4]->result()->name(), "a b");
  ASSERT_EQ(g.outputs().size(), 3u);
  EXPECT_EQ(g.outputs()[0].name, "a b");
  EXPECT_EQ(g.outputs()[1].name, "probs");
  EXPECT_EQ(g.outputs()[1].value->name(), "2");
  ASSERT_TRUE(m.training.has_value());
  TrainingSpec spec("loss");
  spec.optimizer = OptimizerConfig{};
  spec.optimizer->kind = OptimizerKind::Momentum;
  spec.optimizer->lr = 0.1;
  spec.optimizer->nesterov = true;
  spec.epochs = 3;
  spec.features = "x";
  spec.labels = "y";
  EXPECT_EQ(*m.training, spec);
  // Attributes and training fields print in a fixed order, comments and
  // layout are dropped.
  std::string text = printModel(m);
  EXPECT_NE(text.find("{axes = [1], keepdims = true}"), std::string::npos);
  EXPECT_NE(text.find("training { loss = \"loss\", optimizer = "
                      "momentum(lr=0.1, nesterov=true), epochs = 3, "
                      "features = \"x\", labels = \"y\" }\n"),
            std::string::npos);
  EXPECT_EQ(text.find('#'), std::string::npos);
  EXPECT_EQ(printModel(parseModel(text)), text);
}

TEST(TextFormat, AParameterLargerThanMemoryIsAnError) {
  // A recipe parameter is materialized when parsed: one larger than the
  // machine is refused by name before any allocation (found by
  // fuzz_LoadTextIr, where it was an allocation failure).
  try {
    parseModel("graph g(%x: f32[2]) params(%w: f32[3136,10255555554] = "
               "zeros) {\n  %y = neg(%x) : f32[2]\n  return y = %y\n}\n",
               "big.adj");
    FAIL() << "no error";
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(e.what()).find(
                  "parameter %w: initializing f32[3136,10255555554] "
                  "(128645688869376 bytes) would exceed this machine's "),
              std::string::npos)
        << e.what();
  }
}

TEST(TextFormat, TrainingSpecsRoundTrip) {
  const std::string graph = "graph g(%x: f32[4,3], %y: i64[4]) {\n"
                            "  %0 = reduce_sum(%x) : f32[]\n"
                            "  return loss = %0, logits = %x\n"
                            "}\n";
  roundTrip(graph + "training { loss = \"loss\" }\n");
  roundTrip(graph + "training { loss = \"loss\", optimizer = sgd }\n");
  roundTrip(graph + "training { loss = \"loss\", optimizer = "
                    "sgd(lr=0.1, weight_decay=5e-04) }\n");
  roundTrip(graph + "training { loss = \"loss\", optimizer = "
                    "momentum(lr=0.01, momentum=0.95, nesterov=false, "
                    "weight_decay=0.0) }\n");
  roundTrip(graph + "training { loss = \"loss\", optimizer = "
                    "adam(lr=0.001, beta1=0.8, beta2=0.99, epsilon=1e-08, "
                    "weight_decay=0.1) }\n");
  Model m = roundTrip(
      graph + "training { loss = \"loss\", optimizer = adamw(lr=3e-05), "
              "batch_size = 4, epochs = 12, features = \"x\", labels = "
              "\"y\", predictions = \"logits\" }\n");
  ASSERT_TRUE(m.training && m.training->optimizer);
  EXPECT_EQ(m.training->optimizer->kind, OptimizerKind::AdamW);
  EXPECT_EQ(m.training->optimizer->lr, 3e-5);
  EXPECT_EQ(m.training->batchSize, 4);
  EXPECT_EQ(m.training->epochs, 12);
  EXPECT_EQ(m.training->predictions, "logits");
  // Integers where numbers are expected, and any field order, print in the
  // canonical form.
  Model loose =
      parseModel(graph + "training { labels = \"y\", optimizer = sgd(lr = 1), "
                         "loss = \"loss\" }");
  EXPECT_EQ(printModel(loose),
            graph + "training { loss = \"loss\", optimizer = sgd(lr=1.0), "
                    "labels = \"y\" }\n");
  // Names that need quotes are escaped.
  Model odd;
  Builder b(odd.graph);
  Value *x = b.input("a \"b\"", {DType::F32, {2, 2}});
  b.output("l o\ns", b.reduceSum(x, std::nullopt));
  odd.training = TrainingSpec("l o\ns");
  odd.training->features = x->name();
  expectRoundTrip(odd);
}

TEST(TextFormat, RoundTripsEveryDTypeAndShape) {
  roundTrip("graph g(%a: f32[], %b: f64[0], %c: i32[2,0,3], %d: i64[1], "
            "%e: bool[2], %f: u8[1,1,1,1,1,1,1,1]) params("
            "%p: i32[2] = [-2147483648, 2147483647], "
            "%q: i64[2] = [-9223372036854775808, 9223372036854775807], "
            "%r: u8[3] = [0, 7, 255], %s: bool[2,1] = [true, false], "
            "%t: f64[0,4] = [], %u: f32[] = [3]) {\n"
            "  return %a, %b, %c, %d, %e, %f, %p, %q, %r, %s, %t, %u\n"
            "}\n");
}

TEST(TextFormat, FloatsAreBitExact) {
  // NaNs with payloads and signs, infinities, zeros, subnormals, extremes.
  std::vector<uint32_t> f = {0x7fc00000, 0xffc00000, 0x7f800001, 0x7fc00123,
                             0x7f800000, 0xff800000, 0x80000000, 0x00000001,
                             0x7f7fffff, 0x3dcccccd, 0x00800000, 0xff7fffff};
  std::vector<uint64_t> d = {0x7ff8000000000000, 0xfff8000000000001,
                             0x7ff0000000000001, 0x8000000000000000,
                             0x0000000000000001, 0x3fb999999999999a,
                             0x7fefffffffffffff, 0xfff0000000000000};
  Model m;
  Builder b(m.graph);
  b.output("f", b.param("f", f32Bits(f)));
  b.output("d", b.param("d", f64Bits(d)));
  std::string text = printModel(m);
  EXPECT_NE(text.find("[nan, -nan, nan(0x1), nan(0x400123), inf, -inf, -0, "
                      "1e-45, 3.4028235e+38, 0.1, 1.1754944e-38, "
                      "-3.4028235e+38]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("[nan, -nan(0x8000000000001), nan(0x1), -0, 5e-324"),
            std::string::npos)
      << text;
  expectRoundTrip(m);
}

TEST(TextFormat, AttributeValuesOfEveryKindRoundTrip) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> halves = {1, 0.5};
  const std::vector<std::pair<AttrValue, std::string>> cases = {
      {int64_t{-3}, "-3"},
      {int64_t{INT64_MIN}, "-9223372036854775808"},
      {1.0, "1.0"},
      {-0.0, "-0.0"},
      {0.1, "0.1"},
      {1e20, "1e+20"},
      {-inf, "-inf"},
      {nan, "nan"},
      {true, "true"},
      {std::string("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\x01\""},
      {std::string(""), "\"\""},
      {DType::U8, "u8"},
      {std::vector<int64_t>{}, "[]"},
      {std::vector<int64_t>{1, -2}, "[1, -2]"},
      {std::vector<double>{1, -0.25, inf}, "[1.0, -0.25, inf]"},
      {Tensor::fromDoubles(DType::F64, {2}, halves), "f64[2] [1, 0.5]"},
      {Tensor::scalar(DType::Bool, 1), "bool[] [true]"},
      {Tensor(TensorType{DType::I32, {0, 3}}), "i32[0,3] []"},
  };
  for (const auto &[value, text] : cases) {
    EXPECT_EQ(printAttrValue(value), text);
    AttrValue back = parseAttrValue(text, attrKindOf(value));
    EXPECT_TRUE(attrValuesEqual(back, value)) << text;
  }
  // Without a kind, the form decides; with one, ambiguous forms follow it.
  EXPECT_EQ(attrKindOf(parseAttrValue("[]")), AttrKind::Ints);
  EXPECT_EQ(attrKindOf(parseAttrValue("[]", AttrKind::Floats)),
            AttrKind::Floats);
  EXPECT_EQ(attrKindOf(parseAttrValue("[1, 2]", AttrKind::Floats)),
            AttrKind::Floats);
  EXPECT_EQ(attrKindOf(parseAttrValue("[1, 2.5]")), AttrKind::Floats);
  EXPECT_EQ(attrKindOf(parseAttrValue("2")), AttrKind::Int);
  EXPECT_TRUE(attrValuesEqual(parseAttrValue("2", AttrKind::Float), 2.0));
  EXPECT_EQ(attrKindOf(parseAttrValue("2e0")), AttrKind::Float);
  EXPECT_EQ(attrKindOf(parseAttrValue("f32")), AttrKind::DType);
  EXPECT_THROW(parseAttrValue("[1, 2"), Error);
  EXPECT_THROW(parseAttrValue("1 2"), Error);
}

TEST(TextFormat, InitializersPrintTheFieldsTheirKindUses) {
  using K = InitSpec::Kind;
  auto spec = [](K kind) {
    InitSpec s;
    s.kind = kind;
    s.seed = 18446744073709551615ull;
    s.value = 2.5;
    s.low = -1;
    s.high = 0.5;
    s.mean = 0.25;
    s.stddev = 3;
    return s;
  };
  const std::vector<std::pair<K, std::string>> cases = {
      {K::Zeros, "zeros"},
      {K::Ones, "ones"},
      {K::Constant, "constant(value=2.5)"},
      {K::Uniform, "uniform(seed=18446744073709551615, low=-1.0, high=0.5)"},
      {K::Normal, "normal(seed=18446744073709551615, mean=0.25, stddev=3.0)"},
      {K::GlorotUniform, "glorot_uniform(seed=18446744073709551615)"},
      {K::GlorotNormal, "glorot_normal(seed=18446744073709551615)"},
      {K::HeUniform, "he_uniform(seed=18446744073709551615)"},
      {K::HeNormal, "he_normal(seed=18446744073709551615)"},
  };
  for (const auto &[kind, text] : cases) {
    Model m;
    Builder b(m.graph);
    b.output("w", b.param("w", {DType::F64, {2, 3}}, spec(kind)));
    std::string printed = printModel(m);
    EXPECT_NE(printed.find("= " + text + ")"), std::string::npos) << printed;
    Model back = parseModel(printed);
    EXPECT_EQ(printModel(back), printed);
    EXPECT_TRUE(
        back.graph.params()[0].data.identical(m.graph.params()[0].data));
  }
  // Fields left out take their defaults; fields parse in any order.
  Model m = parseModel("graph g() params(%w: f32[2] = uniform(high=4, seed=2),"
                       " %v: f32[] = normal) {\n  return %w, %v\n}\n");
  const InitSpec &u = *m.graph.params()[0].init;
  EXPECT_EQ(u.seed, 2u);
  EXPECT_EQ(u.low, 0.0);
  EXPECT_EQ(u.high, 4.0);
  EXPECT_EQ(m.graph.params()[1].init->stddev, 1.0);
}

TEST(TextFormat, QuotesNamesThatNeedIt) {
  Model m;
  m.graph.setName("my graph");
  Builder b(m.graph);
  Value *x = b.input("x.1-a_B", {DType::F32, {2}});
  Value *y = b.input("a \"b\"\t\\\n\xff", {DType::F32, {2}});
  Value *z = b.op(OpKind::Add, {x, y}, {}, "%");
  b.output("sum = 1", z);
  b.output("x.1-a_B", x);
  b.output("y", y);
  const std::string quotedY = R"(%"a \"b\"\t\\\n\xff")";
  EXPECT_EQ(printModel(m), "graph \"my graph\"(%x.1-a_B: f32[2], " + quotedY +
                               ": f32[2]) {\n"
                               "  %\"%\" = add(%x.1-a_B, " +
                               quotedY +
                               ") : f32[2]\n"
                               "  return \"sum = 1\" = %\"%\", %x.1-a_B, y = " +
                               quotedY +
                               "\n"
                               "}\n");
  expectRoundTrip(m);
}

TEST(TextFormat, RandomModelsRoundTrip) {
  std::set<OpKind> seen;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Model m = adjoint::testing::randomModel(seed);
    for (const auto &node : m.graph.nodes())
      seen.insert(node->op());
    expectRoundTrip(m);
  }
  for (OpKind op : allOps())
    EXPECT_TRUE(seen.count(op)) << "no random model has " << opName(op);
}

} // namespace
