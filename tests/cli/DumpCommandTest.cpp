//===- DumpCommandTest.cpp - `adjoint dump` end to end --------------------===//
#include "tests/cli/CliTestSupport.h"

#include "ir/Builder.h"
#include "ir/DotPrinter.h"
#include "ir/ModelIO.h"
#include "ir/TextFormat.h"

#include <sys/stat.h>

using namespace adjoint;
using namespace adjoint::test;

namespace {

std::string example(const std::string &name) {
  return sourcePath("examples/" + name);
}

TEST(DumpCommand, PrintsTheTextIrOfEveryExample) {
  for (const std::string &name : exampleNames()) {
    SCOPED_TRACE(name);
    ProcessResult r = runCli({"dump", example(name), "--format", "text"});
    ASSERT_EQ(r.status, 0) << r.err;
    Model m = loadModel(example(name));
    EXPECT_EQ(r.out, printModel(m));
    // The text parses back to the same model.
    EXPECT_EQ(printModel(parseModel(r.out, name)), r.out);
  }
}

TEST(DumpCommand, TextIsTheDefaultFormat) {
  std::string model = example("keras_mlp.pbtxt");
  ProcessResult r = runCli({"dump", model});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, printModel(loadModel(model)));
}

/// The assembly of a model with matmuls or convolutions ends with the
/// runtime micro-kernel they run, whose FMAs use the widest vector
/// registers of the kernel set in use (zmm for AVX-512, ymm for AVX2).
TEST(DumpCommand, AssemblyShowsTheRuntimeMicroKernel) {
  for (const char *name : {"fashion_mlp.pbtxt", "fashion_cnn.pbtxt"}) {
    SCOPED_TRACE(name);
    ProcessResult r = runCli({"dump", example(name), "--format", "asm"});
    ASSERT_EQ(r.status, 0) << r.err;
    size_t at = r.out.find("# The runtime's f32 micro-kernel");
    ASSERT_NE(at, std::string::npos);
    std::string kernel = r.out.substr(at);
    bool avx512 = kernel.find("kernel set 'avx512'") != std::string::npos;
    bool avx2 = kernel.find("kernel set 'avx2'") != std::string::npos;
    ASSERT_TRUE(avx512 || avx2 ||
                kernel.find("'generic'") != std::string::npos);
    if (avx512 || avx2) {
      std::string reg = avx512 ? "%zmm" : "%ymm";
      size_t fma = kernel.find("vfmadd231ps\t" + reg);
      EXPECT_NE(fma, std::string::npos) << kernel.substr(0, 2000);
    }
  }
}

TEST(DumpCommand, PrintsDotOfEveryExample) {
  for (const std::string &name : exampleNames()) {
    SCOPED_TRACE(name);
    ProcessResult r = runCli({"dump", example(name), "--format", "dot"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, printDot(loadModel(example(name)).graph));
    EXPECT_EQ(r.out.rfind("digraph ", 0), 0u);
    EXPECT_NE(r.out.find("input %x"), std::string::npos);
    EXPECT_NE(r.out.find("output probs"), std::string::npos);
  }
}

TEST(DumpCommand, DrawsSvgOfEveryExample) {
  for (const std::string &name : exampleNames()) {
    SCOPED_TRACE(name);
    TempDir dir;
    std::string file = dir / "graph.svg";
    ProcessResult r =
        runCli({"dump", example(name), "--format", "svg", "-o", file});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");
    std::string svg = readFile(file);
    EXPECT_NE(svg.find("<svg"), std::string::npos);
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
    EXPECT_NE(svg.find("matmul"), std::string::npos);
    EXPECT_NE(svg.find("output probs"), std::string::npos);
  }
}

TEST(DumpCommand, SvgOfAwkwardNamesIsValid) {
  TempDir dir;
  Model m{Graph("quote\"and\\back"), std::nullopt};
  Builder b(m.graph);
  Value *x = b.input("x", {DType::F32, {2}});
  b.output("say \"hi\" \\n <b>", b.neg(x));
  saveModel(m, dir / "awkward.pbtxt");
  ProcessResult r = runCli({"dump", dir / "awkward.pbtxt", "--format", "svg"});
  ASSERT_EQ(r.status, 0) << r.err;
  // The name reaches the picture intact (XML-escaped by graphviz).
  EXPECT_NE(r.out.find("say &quot;hi&quot; \\n &lt;b&gt;"), std::string::npos)
      << r.out;
}

TEST(DumpCommand, WritesAFileAndReplacesAnExistingOne) {
  TempDir dir;
  std::string file = dir / "model.dot";
  writeFile(file, std::string(100000, 'x'));
  ProcessResult r = runCli(
      {"dump", example("keras_mlp.pbtxt"), "--format", "dot", "-o", file});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(readFile(file),
            printDot(loadModel(example("keras_mlp.pbtxt")).graph));
  // No temporary file is left behind.
  size_t files = 0;
  for (auto &entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST(DumpCommand, LeavesTheOldFileWhenTheModelIsBad) {
  TempDir dir;
  std::string file = dir / "model.dot";
  writeFile(file, "old contents");
  writeFile(dir / "bad.pbtxt", "graph { nodes { op: ");
  ProcessResult r =
      runCli({"dump", dir / "bad.pbtxt", "--format", "dot", "-o", file});
  expectError(r, 2, {"bad.pbtxt"});
  EXPECT_EQ(readFile(file), "old contents");
}

TEST(DumpCommand, ReportsAMissingGraphviz) {
  TempDir dir; // an empty directory as the whole PATH: no `dot` in it
  ProcessResult r =
      runCli({"dump", example("keras_mlp.pbtxt"), "--format", "svg"},
             {"PATH=" + dir.path().string()});
  expectError(r, 1, {"'dot'", "install graphviz"});
}

TEST(DumpCommand, RejectsAnUnknownFormatListingTheAcceptedOnes) {
  ProcessResult r =
      runCli({"dump", example("keras_mlp.pbtxt"), "--format", "png"});
  expectError(r, 2, {"unknown format 'png'", "text, dot, svg"});
}

TEST(DumpCommand, ReportsAnUnwritableOutput) {
  TempDir dir;
  std::string file = dir / "no/such/dir/model.dot";
  ProcessResult r = runCli(
      {"dump", example("keras_mlp.pbtxt"), "--format", "dot", "-o", file});
  // Checked before the model is even read.
  expectError(r, 2, {"-o " + file, "does not exist"});
  writeFile(dir / "file", "x");
  r = runCli({"dump", example("keras_mlp.pbtxt"), "--after", "all", "-o",
              dir / "file"});
  expectError(r, 2, {"exists and is not a directory"});
}

/// The text of stage `index`-`pass` of a dump directory.
std::string stageFile(const TempDir &dir, const std::string &name) {
  return readFile(dir / name);
}

TEST(DumpCommand, WritesEveryStageOfTheInferencePipeline) {
  TempDir dir;
  ProcessResult r = runCli({"dump", example("fashion_cnn.pbtxt"), "--after",
                            "all", "-o", dir / "stages"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("wrote 7 stages"), std::string::npos) << r.out;
  const char *stages[] = {"00-input",
                          "01-fold-constants",
                          "02-simplify-algebra",
                          "03-cse",
                          "04-dce",
                          "05-scan-bodies",
                          "06-fusion"};
  for (const char *stage : stages) {
    std::string base = std::string("stages/") + stage;
    // Each stage parses back as a model.
    EXPECT_NO_THROW(parseModel(readFile(dir / (base + ".txt")))) << stage;
    EXPECT_NE(readFile(dir / (base + ".svg")).find("<svg"), std::string::npos)
        << stage;
  }
  // The fusion stage lists its kernels; its picture draws them as clusters.
  std::string fusion = stageFile(dir, "stages/06-fusion.txt");
  EXPECT_NE(fusion.find("# fusion: "), std::string::npos);
  EXPECT_NE(fusion.find("(epilogue): %0=conv2d"), std::string::npos) << fusion;
  EXPECT_NE(readFile(dir / "stages/06-fusion.svg").find("cluster"),
            std::string::npos);
  std::string plan = stageFile(dir, "stages/memory-plan.txt");
  EXPECT_NE(plan.find("arena "), std::string::npos) << plan;
  for (const char *file :
       {"llvm-before.ll", "llvm-after.ll", "fashion_cnn.s",
        "kernels/adjoint_entry.before.ll", "kernels/adjoint_entry.after.ll"})
    EXPECT_TRUE(std::filesystem::exists(dir / (std::string("stages/") + file)))
        << file;
}

TEST(DumpCommand, WritesTheTrainingStep) {
  TempDir dir;
  ProcessResult r = runCli({"dump", example("fashion_mlp.pbtxt"), "--train",
                            "--after", "all", "-o", dir / "step"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string input = stageFile(dir, "step/00-input.txt");
  EXPECT_NE(input.find("graph fashion_mlp.step"), std::string::npos);
  // The Adam update of the first layer's weights is one kernel.
  std::string fusion = stageFile(dir, "step/06-fusion.txt");
  EXPECT_NE(fusion.find("sqrt"), std::string::npos) << fusion;
}

TEST(DumpCommand, PrintsOneStage) {
  ProcessResult r =
      runCli({"dump", example("fashion_mlp.pbtxt"), "--after", "fusion"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("graph fashion_mlp"), std::string::npos);
  EXPECT_NE(r.out.find("# group 0 "), std::string::npos) << r.out;
  r = runCli({"dump", example("fashion_mlp.pbtxt"), "--after", "memory-plan"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("arena "), std::string::npos) << r.out;
  r = runCli({"dump", example("fashion_mlp.pbtxt"), "--after", "cse",
              "--format", "dot", "--verify-each"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("digraph", 0), 0u) << r.out;
}

TEST(DumpCommand, RejectsBadStageRequests) {
  std::string model = example("keras_mlp.pbtxt");
  expectError(runCli({"dump", model, "--after", "nosuch"}), 2,
              {"unknown pass 'nosuch'", "fusion", "memory-plan"});
  expectError(runCli({"dump", model, "--after", "all"}), 2,
              {"--after all writes a directory"});
  expectError(runCli({"dump", model, "--after", "cse", "--no-optimize"}), 2,
              {"pass 'cse' did not run"});
  expectError(runCli({"dump", model, "--after", "fusion", "--format", "asm"}),
              2, {"--after prints the graph"});
  expectError(runCli({"dump", model, "--loss", "loss"}), 2,
              {"--loss goes with --train"});
  // The memory plan is text: no picture of it passes for one.
  for (const char *format : {"svg", "dot", "llvm"})
    expectError(
        runCli({"dump", model, "--after", "memory-plan", "--format", format}),
        2, {"--after memory-plan prints the memory plan as text only"});
  expectError(runCli({"dump", model, "--after", "all", "--format", "svg", "-o",
                      "stages"}),
              2, {"leave --format out"});
}

} // namespace
