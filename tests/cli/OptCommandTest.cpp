//===- OptCommandTest.cpp - `adjoint opt` end to end ----------------------===//
//
// The rules themselves are checked by the golden tests (tests/passes/golden);
// these check the command: defaults, output file, errors.
//
//===----------------------------------------------------------------------===//
#include "tests/cli/CliTestSupport.h"

#include "ir/ModelIO.h"

using namespace adjoint;
using namespace adjoint::test;

namespace {

const char *const kSample = R"(graph ex(%x: f32[4,3]) {
  %one = constant() {value = f32[] [1]} : f32[]
  %two = add(%one, %one) : f32[]
  %a = mul(%x, %two) : f32[4,3]
  %b = mul(%two, %x) : f32[4,3]
  %n = neg(%a) : f32[4,3]
  %nn = neg(%n) : f32[4,3]
  %c = add(%nn, %b) : f32[4,3]
  return y = %c
}
)";

TEST(OptCommand, RunsEveryPassByDefault) {
  TempDir dir;
  writeFile(dir / "ex.adj", kSample);
  ProcessResult r = runCli({"opt", dir / "ex.adj"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "graph ex(%x: f32[4,3]) {\n"
                   "  %two = constant() {value = f32[] [2]} : f32[]\n"
                   "  %a = mul(%x, %two) : f32[4,3]\n"
                   "  %c = add(%a, %a) : f32[4,3]\n"
                   "  return y = %c\n"
                   "}\n");
  EXPECT_EQ(r.err, "");
}

TEST(OptCommand, RunsTheNamedPassesInOrder) {
  TempDir dir;
  writeFile(dir / "ex.adj", kSample);
  // Without fold, cse cannot see that 1 + 1 is the constant two, but it
  // still merges x*two and two*x.
  ProcessResult r = runCli({"opt", dir / "ex.adj", "--passes", "cse"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("%two = add(%one, %one)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("%b = "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("%nn = neg(%n)"), std::string::npos) << r.out;
}

TEST(OptCommand, WritesTheModelToAFileThatLoadsAndComputesTheSame) {
  TempDir dir;
  for (const std::string &name : exampleNames()) {
    SCOPED_TRACE(name);
    std::string out = dir / (name + ".adj");
    ProcessResult r =
        runCli({"opt", sourcePath("examples/" + name), "-o", out});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");
    Model before = loadModel(sourcePath("examples/" + name));
    Model after = loadModel(out);
    EXPECT_LT(after.graph.nodes().size(), before.graph.nodes().size());
    ASSERT_TRUE(after.training.has_value());
    EXPECT_EQ(after.training->loss, before.training->loss);
  }
}

TEST(OptCommand, UnknownPassIsAnErrorListingTheValidOnes) {
  TempDir dir;
  writeFile(dir / "ex.adj", kSample);
  expectError(runCli({"opt", dir / "ex.adj", "--passes", "fold,inline"}), 2,
              {"unknown pass 'inline'", "fold, algebra, cse, dce"});
  // The names are checked before the model is read.
  expectError(runCli({"opt", dir / "missing.adj", "--passes", "nope"}), 2,
              {"unknown pass 'nope'"});
}

TEST(OptCommand, BadModelIsAnError) {
  TempDir dir;
  writeFile(dir / "bad.adj", "graph g(%x: f32[2]) { return %y }\n");
  expectError(runCli({"opt", dir / "bad.adj"}), 2, {"bad.adj"});
  expectError(runCli({"opt"}), 2, {"MODEL"});
}

} // namespace
