//===- RebatchTest.cpp - Models re-built for another batch size -----------===//
#include "compiler/training/Rebatch.h"
#include "tests/support/Examples.h"

#include "JitTestUtil.h"
#include "compiler/Executable.h"
#include "ir/Builder.h"
#include "ir/Error.h"
#include "ir/Interpreter.h"
#include "ir/ModelIO.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

using namespace adjoint;
using namespace adjoint::testing;

namespace {

TensorType f32(Shape s) { return {DType::F32, std::move(s)}; }

/// Rows `rows[i]` of `all` (examples along axis 0), as a batch.
Tensor pickRows(const Tensor &all, const std::vector<int64_t> &rows) {
  Shape shape = all.shape();
  shape[0] = (int64_t)rows.size();
  Tensor out(TensorType{all.dtype(), shape});
  size_t bytes = all.byteSize() / (size_t)all.shape()[0];
  for (size_t i = 0; i < rows.size(); ++i)
    std::memcpy(out.bytes() + i * bytes, all.bytes() + rows[i] * bytes, bytes);
  return out;
}

/// -log softmax(logits[i])[label], in double.
double exampleLoss(const Tensor &logits, int64_t i, int64_t label) {
  int64_t classes = logits.shape()[1];
  double mx = -INFINITY, sum = 0;
  for (int64_t c = 0; c < classes; ++c)
    mx = std::max(mx, logits.elementAsDouble(i * classes + c));
  for (int64_t c = 0; c < classes; ++c)
    sum += std::exp(logits.elementAsDouble(i * classes + c) - mx);
  return mx + std::log(sum) - logits.elementAsDouble(i * classes + label);
}

std::map<std::string, Tensor>
runModel(const Graph &g, const std::map<std::string, Tensor> &in) {
  CompileOptions options;
  options.threads = 1;
  return compile(g, options)->run(in);
}

/// Each example's logits after re-batching equal its logits in the model's
/// own batch, and the loss is the mean of the examples' losses.
void checkExample(const std::string &file) {
  Model m = adjoint::testing::loadExampleAtSpecBatch(
      std::string(ADJOINT_SOURCE_DIR) + "/examples/" + file);
  ASSERT_TRUE(m.training);
  const Value *x = m.graph.findValue("x");
  const Value *y = m.graph.findValue("y");
  int64_t old = x->type().shape[0];
  std::mt19937_64 rng(7);
  std::map<std::string, Tensor> in = {
      {"x", uniformTensor(x->type(), rng, 0, 1)},
      {"y", uniformTensor(y->type(), rng, 0, 9)}};
  std::map<std::string, Tensor> want = runModel(m.graph, in);
  const Tensor &logits = want.at("logits");

  for (int64_t batch : {1, 7, 128}) {
    SCOPED_TRACE(file + " at batch " + std::to_string(batch));
    Model r = rebatch(m, batch);
    EXPECT_EQ(r.graph.findValue("x")->type().shape[0], batch);
    EXPECT_EQ(r.graph.findValue("y")->type(),
              (TensorType{y->type().dtype, {batch}}));
    EXPECT_EQ(r.training->batchSize, batch);
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < batch; ++i)
      rows.push_back((i * 5 + 3) % old);
    std::map<std::string, Tensor> got =
        runModel(r.graph, {{"x", pickRows(in.at("x"), rows)},
                           {"y", pickRows(in.at("y"), rows)}});
    ASSERT_EQ(got.at("logits").type(), f32({batch, 10}));
    EXPECT_EQ(
        compareTensors(got.at("logits"), pickRows(logits, rows), 1e-4, 1e-5),
        "");
    double loss = 0;
    for (int64_t i = 0; i < batch; ++i)
      loss += exampleLoss(logits, rows[i],
                          (int64_t)in.at("y").elementAsDouble(rows[i]));
    loss /= (double)batch;
    EXPECT_NEAR(got.at("loss").elementAsDouble(0), loss, 1e-5 * loss + 1e-6);
  }
}

TEST(Rebatch, TheMlpGivesEachExampleTheSameResultAtAnyBatch) {
  checkExample("fashion_mlp.pbtxt");
}

TEST(Rebatch, TheCnnGivesEachExampleTheSameResultAtAnyBatch) {
  checkExample("fashion_cnn.pbtxt");
}

TEST(Rebatch, EveryExampleTakesAnyBatch) {
  int seen = 0;
  for (const auto &entry : std::filesystem::directory_iterator(
           std::string(ADJOINT_SOURCE_DIR) + "/examples")) {
    if (entry.path().extension() != ".pbtxt")
      continue;
    SCOPED_TRACE(entry.path().string());
    ++seen;
    Model m = loadModel(entry.path().string());
    Model r = rebatch(m, 3);
    for (const Value *v : r.graph.inputs())
      EXPECT_EQ(v->type().shape.at(0), 3) << v->name();
    for (const Output &o : r.graph.outputs())
      if (o.value->type().rank() > 0)
        EXPECT_EQ(o.value->type().shape[0], 3) << o.name;
  }
  EXPECT_GE(seen, 4);
}

TEST(Rebatch, FollowsTheBatchThroughTransposesAndReductions) {
  Graph g("m");
  Builder b(g);
  Value *x = b.input("x", f32({4, 3, 2}));
  Value *t = b.transpose(x, {2, 0, 1});                             // [2,4,3]
  b.output("kept", b.reduceMean(t, std::vector<int64_t>{2}, true)); // [2,4,1]
  b.output("ended", b.reduceSum(t, std::vector<int64_t>{1}));       // [2,3]
  b.output("flat", b.reshape(x, {4, -1}));                          // [4,6]
  b.output("col", b.reshape(b.argmax(x, 1), {4, 1, 2}));
  Graph r = rebatch(g, "x", 9);
  EXPECT_EQ(r.findValue("x")->type(), f32({9, 3, 2}));
  auto out = [&](const std::string &name) {
    for (const Output &o : r.outputs())
      if (o.name == name)
        return o.value->type();
    return TensorType{};
  };
  EXPECT_EQ(out("kept"), f32({2, 9, 1}));
  EXPECT_EQ(out("ended"), f32({2, 3}));
  EXPECT_EQ(out("flat"), f32({9, 6}));
  EXPECT_EQ(out("col"), (TensorType{DType::I64, {9, 1, 2}}));
}

TEST(Rebatch, RewritesTheShapesThatSpellTheBatchOut) {
  // Every example's rows of every output are the same at batch 4 and 6.
  Graph g("m");
  Builder b(g);
  Value *x = b.input("x", f32({4, 3}));
  Value *ids = b.input("ids", {DType::I64, {4}});
  Value *table = b.param("table", f32({5, 3}), glorotUniform(1));
  Value *whole = b.slice(x, {0}, {4}, {0});
  Value *wide = b.broadcastTo(b.reshape(x, {4, 1, 3}), {4, 2, 3});
  Value *cols = b.cast(b.iota(DType::I64, {4, 3}, 1), DType::F32);
  Value *rows = b.gather(table, ids);
  b.output("sum", b.add(b.add(whole, cols), rows));
  b.output("wide", b.transpose(wide, {1, 0, 2}));
  b.output("joined", b.concat({x, rows}, 1));
  b.output("padded", b.pad(x, {0, 1, 0, 2}, 7));
  b.output("per_column", b.reduceMean(x, std::vector<int64_t>{0}));

  Graph r = rebatch(g, "x", 6);
  std::mt19937_64 rng(3);
  Tensor xs = uniformTensor(f32({4, 3}), rng);
  Tensor is = uniformTensor({DType::I64, {4}}, rng, 0, 4);
  std::map<std::string, Tensor> want = interpret(g, {{"x", xs}, {"ids", is}});
  std::vector<int64_t> pick = {3, 0, 1, 1, 2, 3};
  std::map<std::string, Tensor> got =
      interpret(r, {{"x", pickRows(xs, pick)}, {"ids", pickRows(is, pick)}});
  for (const std::string name : {"sum", "joined", "padded"})
    EXPECT_EQ(compareTensors(got.at(name), pickRows(want.at(name), pick), 0, 0),
              "")
        << name;
  EXPECT_EQ(got.at("wide").type(), f32({2, 6, 3}));
  double mean = 0;
  for (int64_t i : pick)
    mean += xs.elementAsDouble(i * 3 + 1);
  EXPECT_NEAR(got.at("per_column").elementAsDouble(1), mean / 6, 1e-6);
}

/// The message of the error rebatch(g, "x", 8) throws.
std::string errorOf(const Graph &g) {
  try {
    rebatch(g, "x", 8);
  } catch (const Error &e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    return e.what();
  }
  return "no error";
}

TEST(Rebatch, RefusesAReshapeThatMergesTheBatch) {
  Graph g("m");
  Builder b(g);
  b.output("y", b.reshape(b.input("x", f32({4, 3})), {12}));
  std::string e = errorOf(g);
  EXPECT_EQ(e.find("model m cannot be re-batched to 8: node %"), 0u) << e;
  EXPECT_NE(e.find(" (reshape) on (f32[4,3]) giving f32[12]: "),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("cannot reshape [batch,3]"), std::string::npos) << e;
}

TEST(Rebatch, RefusesAConstantOfBatchSize) {
  Graph g("m");
  Builder b(g);
  Value *x = b.input("x", f32({4, 3}));
  b.output("y", b.add(x, b.constant(Tensor(f32({4, 3})))));
  std::string e = errorOf(g);
  EXPECT_NE(e.find("cannot be re-batched"), std::string::npos) << e;
  EXPECT_NE(e.find(" (add) on (f32[4,3], f32[4,3]) giving f32[4,3]: "),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("do not broadcast (f32[batch,3], f32[4,3])"),
            std::string::npos)
      << e;
}

TEST(Rebatch, FollowsTheBatchIntoAContraction) {
  // x^T x sums over the examples: at batch 8 it is [3,3] over 8 rows.
  Graph g("m");
  Builder b(g);
  Value *x = b.input("x", f32({4, 3}));
  b.output("y", b.matmul(b.transpose(x), x));
  Graph r = rebatch(g, "x", 8);
  std::mt19937_64 rng(5);
  Tensor xs = uniformTensor(f32({8, 3}), rng);
  Tensor y = interpret(r, {{"x", xs}}).at("y");
  ASSERT_EQ(y.type(), f32({3, 3}));
  double want = 0;
  for (int64_t i = 0; i < 8; ++i)
    want += xs.elementAsDouble(i * 3) * xs.elementAsDouble(i * 3 + 1);
  EXPECT_NEAR(y.elementAsDouble(1), want, 1e-5);
}

TEST(Rebatch, RefusesSlicingOrPaddingTheBatch) {
  for (bool slice : {true, false}) {
    Graph g("m");
    Builder b(g);
    Value *x = b.input("x", f32({4, 3}));
    b.output("y", slice ? b.slice(x, {1}, {3}, {0}) : b.pad(x, {1, 0, 0, 0}));
    std::string e = errorOf(g);
    EXPECT_NE(e.find(slice ? "(slice) on (f32[4,3]) giving f32[2,3]: slice: "
                             "axis 0 has the symbolic extent batch; only all "
                             "of it can be taken"
                           : "(pad) on (f32[4,3]) giving f32[5,3]: pad: axis "
                             "0 has the symbolic extent batch and cannot be "
                             "padded"),
              std::string::npos)
        << e;
  }
}

TEST(Rebatch, ReportsBadRequests) {
  Graph g("m");
  Builder b(g);
  b.output("y", b.relu(b.input("x", f32({4, 3}))));
  EXPECT_THROW(rebatch(g, "x", 0), Error);
  EXPECT_THROW(rebatch(g, "nope", 2), Error);
  // Without a spec, the first input carries the batch.
  Model m{std::move(g), std::nullopt};
  EXPECT_EQ(batchInput(m), "x");
  EXPECT_EQ(rebatch(m, 2).graph.findValue("x")->type(), f32({2, 3}));
  Model empty{Graph("e"), std::nullopt};
  EXPECT_THROW(batchInput(empty), Error);
}

} // namespace
