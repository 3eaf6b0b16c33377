//===- CheckCommandTest.cpp - `adjoint check` end to end ------------------===//
#include "tests/cli/CliTestSupport.h"

using namespace adjoint::test;

namespace {

TEST(CheckCommand, DescribesEveryExample) {
  for (const std::string &name : exampleNames()) {
    SCOPED_TRACE(name);
    ProcessResult r = runCli({"check", sourcePath("examples/" + name)});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    for (const char *field :
         {"graph: ", "inputs: 1\n  x: f32[", "outputs: ", "probs: f32[",
          "parameters: ", "nodes: ", "FLOPs: "})
      EXPECT_NE(r.out.find(field), std::string::npos) << field << "\n" << r.out;
  }
}

TEST(CheckCommand, PrintsTheFashionMlpExactly) {
  ProcessResult r = runCli({"check", sourcePath("examples/fashion_mlp.pbtxt")});
  ASSERT_EQ(r.status, 0) << r.err;
  // Parameters: 784*64 + 64 + 64*10 + 10 = 50,890 f32 elements.
  // FLOPs: matmul 2*64*784*64 + add, relu 2*64*64 + matmul 2*64*64*10
  // + add 640 + softmax (reduce_max, sub, exp, reduce_sum, div) 5*640.
  EXPECT_EQ(r.out, "graph: fashion_mlp\n"
                   "inputs: 1\n"
                   "  x: f32[64,784]\n"
                   "outputs: 2\n"
                   "  probs: f32[64,10]\n"
                   "  logits: f32[64,10]\n"
                   "parameters: 4 (50,890 elements, 203,560 bytes = 199 KiB)\n"
                   "nodes: 10\n"
                   "FLOPs: 6,516,480 (6.52 M)\n");
}

TEST(CheckCommand, CountsTheCnnConvolutions) {
  ProcessResult r = runCli({"check", sourcePath("examples/fashion_cnn.pbtxt")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("  x: f32[64,1,28,28]\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  logits: f32[64,10]\n"), std::string::npos) << r.out;
  // conv1 2*64*32*28*28*1*25, conv2 2*64*64*14*14*32*25, fc1
  // 2*64*3136*1024, fc2 2*64*1024*10; the rest is elementwise work.
  int64_t contractions = 2LL * 64 * 32 * 28 * 28 * 25 +
                         2LL * 64 * 64 * 14 * 14 * 32 * 25 +
                         2LL * 64 * 3136 * 1024 + 2LL * 64 * 1024 * 10;
  size_t at = r.out.find("FLOPs: ");
  ASSERT_NE(at, std::string::npos);
  std::string digits;
  for (size_t i = at + 7; i < r.out.size() && r.out[i] != ' '; ++i)
    if (r.out[i] != ',')
      digits += r.out[i];
  int64_t flops = std::stoll(digits);
  EXPECT_GT(flops, contractions);
  EXPECT_LT(flops, contractions + contractions / 50);
}

} // namespace
