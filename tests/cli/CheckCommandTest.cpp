//===- CheckCommandTest.cpp - `adjoint check` end to end ------------------===//
#include "tests/cli/CliTestSupport.h"

#include "ir/Builder.h"
#include "ir/ModelIO.h"

using namespace adjoint;
using namespace adjoint::test;

namespace {

TEST(CheckCommand, DescribesEveryExample) {
  for (const std::string &name : exampleNames()) {
    SCOPED_TRACE(name);
    ProcessResult r = runCli({"check", sourcePath("examples/" + name)});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    for (const char *field :
         {"graph: ", "inputs: 2\n  x: f32[", "  y: ", "outputs: ",
          "probs: f32[", "  loss: f32[]\n", "parameters: ", "nodes: ",
          "FLOPs: ", "training:\n  loss: loss\n  optimizer: adam, lr 0.001, ",
          "  features: x\n  labels: y\n  predictions: logits\n"})
      EXPECT_NE(r.out.find(field), std::string::npos) << field << "\n" << r.out;
  }
}

TEST(CheckCommand, PrintsTheFashionMlpExactly) {
  ProcessResult r = runCli({"check", sourcePath("examples/fashion_mlp.pbtxt")});
  ASSERT_EQ(r.status, 0) << r.err;
  // Parameters: 784*64 + 64 + 64*10 + 10 = 50,890 f32 elements.
  // FLOPs: matmul 2*32*784*64 + add, relu 2*32*64 + matmul 2*32*64*10
  // + add 320 + softmax (reduce_max, sub, exp, reduce_sum, div) 5*320
  // = 3,258,240, plus 2,337 for the loss (log-softmax and batch mean; the
  // one-hot labels count no FLOPs).
  EXPECT_EQ(r.out,
            "graph: fashion_mlp\n"
            "inputs: 2\n"
            "  x: f32[N,784]\n"
            "  y: i64[N]\n"
            "outputs: 3\n"
            "  probs: f32[N,10]\n"
            "  logits: f32[N,10]\n"
            "  loss: f32[]\n"
            "parameters: 4 (50,890 elements, 203,560 bytes = 199 KiB)\n"
            "nodes: 23\n"
            "FLOPs: 1 + 101,893 (102 K) per N\n"
            "training:\n"
            "  loss: loss\n"
            "  optimizer: adam, lr 0.001, beta1 0.9, beta2 0.999, epsilon "
            "1e-07, weight decay 0\n"
            "  batch size: 32\n"
            "  epochs: 5\n"
            "  features: x\n"
            "  labels: y\n"
            "  predictions: logits\n");
}

TEST(CheckCommand, CountsTheCnnConvolutions) {
  ProcessResult r = runCli({"check", sourcePath("examples/fashion_cnn.pbtxt")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("  x: f32[N,1,28,28]\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  logits: f32[N,10]\n"), std::string::npos) << r.out;
  // Per example: conv1 2*32*28*28*1*25, conv2 2*64*14*14*32*25, fc1
  // 2*3136*1024, fc2 2*1024*10; the rest is elementwise work.
  int64_t contractions = 2LL * 32 * 28 * 28 * 25 +
                         2LL * 64 * 14 * 14 * 32 * 25 + 2LL * 3136 * 1024 +
                         2LL * 1024 * 10;
  size_t at = r.out.find("FLOPs: 1 + ");
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" per N\n", at), std::string::npos) << r.out;
  std::string digits;
  for (size_t i = at + 11; i < r.out.size() && r.out[i] != ' '; ++i)
    if (r.out[i] != ',')
      digits += r.out[i];
  int64_t flops = std::stoll(digits);
  EXPECT_GT(flops, contractions);
  EXPECT_LT(flops, contractions + contractions / 50);
}

TEST(CheckCommand, ResolvesTheOptimizerOfATrainingSpec) {
  TempDir dir;
  Model m{Graph("t"), TrainingSpec("l")};
  Builder b(m.graph);
  b.output("l", b.reduceSum(b.input("x", {DType::F32, {4, 2}}), std::nullopt));
  saveModel(m, dir / "default.adj");
  ProcessResult r = runCli({"check", dir / "default.adj"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("training:\n  loss: l\n  optimizer: adam (the "
                       "default), lr 0.001, beta1 0.9, beta2 0.999, epsilon "
                       "1e-07, weight decay 0\n"),
            std::string::npos)
      << r.out;
  OptimizerConfig momentum;
  momentum.kind = OptimizerKind::Momentum;
  momentum.nesterov = true;
  momentum.weightDecay = 5e-4;
  m.training->optimizer = momentum;
  m.training->epochs = 3;
  saveModel(m, dir / "momentum.adj");
  r = runCli({"check", dir / "momentum.adj"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("training:\n  loss: l\n  optimizer: momentum, lr "
                       "0.01, momentum 0.9, nesterov, weight decay 0.0005\n"
                       "  epochs: 3\n"),
            std::string::npos)
      << r.out;
}

} // namespace
