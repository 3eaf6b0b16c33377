//===- SymbolicShapeTest.cpp - Type rules with symbolic dimensions --------===//
//
// Each op's rule on operands with a symbolic batch, through the text IR:
// the declared result types are what inference gives (the parser checks
// them), and the rules that cannot hold a symbol say so.
//
//===----------------------------------------------------------------------===//
#include "ir/Error.h"
#include "ir/Interpreter.h"
#include "ir/Specialize.h"
#include "ir/TextFormat.h"
#include "tests/support/RandomTensor.h"

#include <gtest/gtest.h>

using namespace adjoint;

namespace {

/// The graph `body` (nodes and a return) over inputs `inputs`.
Model parse(const std::string &inputs, const std::string &body) {
  return parseModel("graph g(" + inputs + ") {\n" + body + "\n}\n");
}

std::string errorOf(const std::string &inputs, const std::string &body) {
  try {
    parse(inputs, body);
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

/// Whether `error` says `what`.
bool says(const std::string &error, const std::string &what) {
  return error.find(what) != std::string::npos;
}

TEST(SymbolicShape, ElementwiseBroadcastsAgainstOneAndItself) {
  EXPECT_NO_THROW(parse("%x: f32[N,10], %b: f32[10], %c: f32[N,1]",
                        "%0 = add(%x, %b) : f32[N,10]\n"
                        "%1 = mul(%0, %c) : f32[N,10]\n"
                        "%2 = greater(%1, %x) : bool[N,10]\n"
                        "return %2"));
  EXPECT_PRED2(says,
               errorOf("%x: f32[N,10], %y: f32[3,10]",
                       "%0 = add(%x, %y) : f32[N,10]\nreturn %0"),
               "do not broadcast");
  EXPECT_PRED2(says,
               errorOf("%x: f32[N,10], %y: f32[M,10]",
                       "%0 = add(%x, %y) : f32[N,10]\nreturn %0"),
               "do not broadcast");
}

TEST(SymbolicShape, ReductionsOverTheSymbolicAxis) {
  EXPECT_NO_THROW(parse("%x: f32[N,10]",
                        "%0 = reduce_mean(%x) {axes = [0]} : f32[10]\n"
                        "%1 = reduce_sum(%x) {axes = [1], keepdims = "
                        "true} : f32[N,1]\n"
                        "%2 = reduce_max(%x) : f32[]\n"
                        "%3 = argmax(%x) {axis = 1} : i64[N]\n"
                        "return %0, %1, %2, %3"));
}

TEST(SymbolicShape, ReshapeTakesTheSymbolWhereMinusOneIs) {
  EXPECT_NO_THROW(parse("%x: f32[N,1,28,28]",
                        "%0 = reshape(%x) {shape = [-1, 784]} : f32[N,784]\n"
                        "%1 = reshape(%x) {shape = [-1, 28]} : f32[N*28,28]\n"
                        "%2 = reshape(%1) {shape = [-1, 1, 28, 28]} : "
                        "f32[N,1,28,28]\n"
                        "%3 = transpose(%0) : f32[784,N]\n"
                        "return %0, %2, %3"));
  // A static target would fix the batch.
  EXPECT_PRED2(says,
               errorOf("%x: f32[N,784]",
                       "%0 = reshape(%x) {shape = [32, 784]} : f32[32,784]\n"
                       "return %0"),
               "(a symbolic extent goes where -1 is)");
  // 10 is no multiple of 3.
  EXPECT_PRED2(says,
               errorOf("%x: f32[N,10]",
                       "%0 = reshape(%x) {shape = [-1, 3]} : f32[N,3]\n"
                       "return %0"),
               "cannot infer -1");
  EXPECT_PRED2(says,
               errorOf("%x: f32[N,M]",
                       "%0 = reshape(%x) {shape = [-1]} : f32[N]\nreturn %0"),
               "more than one symbolic dimension");
}

TEST(SymbolicShape, MatmulWithTheSymbolInAnyPlace) {
  EXPECT_NO_THROW(parse("%x: f32[N,784], %w: f32[784,10], %d: f32[N,10]",
                        "%0 = matmul(%x, %w) : f32[N,10]\n"
                        "%1 = transpose(%x) {perm = [1, 0]} : f32[784,N]\n"
                        "%2 = matmul(%1, %d) : f32[784,10]\n" // the symbol is k
                        "return %0, %2"));
  EXPECT_PRED2(says,
               errorOf("%x: f32[N,784], %y: f32[M,10]",
                       "%1 = transpose(%x) : f32[784,N]\n"
                       "%2 = matmul(%1, %y) : f32[784,10]\nreturn %2"),
               "contraction dimensions differ");
}

TEST(SymbolicShape, ConcatSliceAndPad) {
  EXPECT_NO_THROW(parse("%x: f32[N,4]",
                        "%0 = concat(%x, %x) {axis = 0} : f32[N*2,4]\n"
                        "%1 = concat(%x, %x) {axis = 1} : f32[N,8]\n"
                        "%2 = slice(%x) {starts = [0, 1], ends = "
                        "[9223372036854775807, 3]} : f32[N,2]\n"
                        "%3 = pad(%x) {pads = [0, 1, 0, 2]} : f32[N,7]\n"
                        "return %0, %1, %2, %3"));
  EXPECT_PRED2(says,
               errorOf("%x: f32[N,4], %y: f32[3,4]",
                       "%0 = concat(%x, %y) {axis = 0} : f32[N,4]\nreturn %0"),
               "would mix symbols");
  EXPECT_PRED2(says,
               errorOf("%x: f32[N,4]",
                       "%0 = slice(%x) {starts = [1], ends = [5]} : f32[4,4]\n"
                       "return %0"),
               "only all of it can be taken");
  EXPECT_PRED2(
      says,
      errorOf("%x: f32[N,4]",
              "%0 = pad(%x) {pads = [1, 0, 0, 0]} : f32[N,4]\nreturn %0"),
      "cannot be padded");
}

TEST(SymbolicShape, IndexingOps) {
  EXPECT_NO_THROW(parse("%y: i64[N], %e: f32[100,16]",
                        "%0 = one_hot(%y) {depth = 10} : f32[N,10]\n"
                        "%1 = gather(%e, %y) {axis = 0} : f32[N,16]\n"
                        "%2 = cast(%y) {to = f32} : f32[N]\n"
                        "return %0, %1, %2"));
}

TEST(SymbolicShape, WindowsTakeASymbolicBatchOnly) {
  EXPECT_NO_THROW(
      parse("%x: f32[N,1,28,28], %w: f32[8,1,5,5]",
            "%0 = conv2d(%x, %w) {pads = [2, 2, 2, 2]} : f32[N,8,28,28]\n"
            "%1 = max_pool2d(%0) {kernel = [2, 2], strides = [2, 2]} : "
            "f32[N,8,14,14]\n"
            "%2 = avg_pool2d(%1) {kernel = [2, 2], strides = [2, 2]} : "
            "f32[N,8,7,7]\n"
            "return %2"));
  std::string e = errorOf("%x: f32[2,C,28,28], %w: f32[8,1,5,5]",
                          "%0 = conv2d(%x, %w) : f32[2,8,24,24]\nreturn %0");
  EXPECT_NE(e.find("symbolic"), std::string::npos) << e;
  EXPECT_PRED2(says,
               errorOf("%x: f32[N,1,H,28]",
                       "%0 = max_pool2d(%x) {kernel = [2, 2]} : f32[N,1,1,27]\n"
                       "return %0"),
               "is symbolic; only the batch");
}

TEST(SymbolicShape, DeclaredTypesAreChecked) {
  // The verifier compares symbols: N is not M, nor 32.
  EXPECT_PRED2(says,
               errorOf("%x: f32[N,10]", "%0 = relu(%x) : f32[M,10]\nreturn %0"),
               "declared type f32[M,10]");
  EXPECT_PRED2(
      says, errorOf("%x: f32[N,10]", "%0 = relu(%x) : f32[32,10]\nreturn %0"),
      "declared type f32[32,10]");
  EXPECT_PRED2(says, errorOf("%x: f32[N*0,10]", "return %x"),
               "expected a dimension");
  EXPECT_PRED2(says, errorOf("%x: f32[3N,10]", "return %x"),
               "expected a dimension");
}

TEST(SymbolicShape, SpecializeBindsEveryType) {
  Model m = parse("%x: f32[N,1,28,28], %y: i64[N]",
                  "%0 = reshape(%x) {shape = [-1, 784]} : f32[N,784]\n"
                  "%1 = concat(%0, %0) {axis = 0} : f32[N*2,784]\n"
                  "%2 = one_hot(%y) {depth = 10} : f32[N,10]\n"
                  "return %1, %2");
  EXPECT_TRUE(hasSymbols(m.graph));
  Graph g = specialize(m.graph, {{internSymbol("N"), 7}});
  EXPECT_FALSE(hasSymbols(g));
  EXPECT_EQ(typeStr(g.outputs()[0].value->type()), "f32[14,784]");
  EXPECT_EQ(typeStr(g.outputs()[1].value->type()), "f32[7,10]");
  EXPECT_THROW(specialize(m.graph, {}), Error);
  EXPECT_THROW(specialize(m.graph, {{internSymbol("N"), 0}}), Error);
  try {
    requireStatic(m.graph, "the compiler");
    FAIL() << "a symbolic graph is not static";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("f32[N,1,28,28]"), std::string::npos)
        << e.what();
  }
}

TEST(SymbolicShape, TheInterpreterRunsAtTheInputsBatch) {
  // One symbolic graph against the static graph at each batch: the same
  // bits, the mean over the batch included.
  const std::string body =
      "%0 = reshape(%x) {shape = [-1, 12]} : f32[B,12]\n"
      "%1 = matmul(%0, %w) : f32[B,5]\n"
      "%2 = reduce_max(%1) {axes = [1], keepdims = true} : f32[B,1]\n"
      "%3 = sub(%1, %2) : f32[B,5]\n"
      "%4 = one_hot(%y) {depth = 5} : f32[B,5]\n"
      "%5 = mul(%3, %4) : f32[B,5]\n"
      "%6 = reduce_mean(%5) : f32[]\n"
      "%7 = concat(%0, %0) {axis = 0} : f32[B*2,12]\n"
      "return %6, %7";
  auto withBatch = [&](const std::string &b) {
    std::string text = "graph g(%x: f32[" + b + ",3,4], %y: i64[" + b +
                       "]) params(%w: f32[12,5] = glorot_uniform(seed=3)) {\n" +
                       body + "\n}\n";
    bool number = b != "N";
    for (size_t at; (at = text.find("B*2")) != std::string::npos;)
      text.replace(at, 3, number ? std::to_string(2 * std::stoll(b)) : "N*2");
    for (size_t at; (at = text.find("B")) != std::string::npos;)
      text.replace(at, 1, b);
    return parseModel(text).graph;
  };
  Graph symbolic = withBatch("N");
  for (int64_t batch : {1, 7, 64}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    Graph fixed = withBatch(std::to_string(batch));
    auto inputs = adjoint::testing::randomInputs(fixed, (uint64_t)batch, false);
    auto want = interpret(fixed, inputs), got = interpret(symbolic, inputs);
    for (const auto &[name, t] : want)
      EXPECT_TRUE(got.at(name).identical(t)) << name;
  }
  // Inputs that disagree on N.
  auto inputs = adjoint::testing::randomInputs(withBatch("3"), 1, false);
  inputs.at("y") = Tensor(TensorType{DType::I64, {4}});
  EXPECT_THROW(interpret(symbolic, inputs), Error);
}

} // namespace
