//===- MainTest.cpp - Usage, help and bad input of the `adjoint` command --===//
#include "tests/cli/CliTestSupport.h"

#include "ir/ModelIO.h"

#include <map>

using namespace adjoint;
using namespace adjoint::test;

namespace {

const std::vector<std::string> kSubcommands = {"check", "run", "dump",
                                               "convert", "grad"};

TEST(Main, HelpListsEverySubcommand) {
  ProcessResult r = runCli({"--help"});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const std::string &sub : kSubcommands)
    EXPECT_NE(r.out.find(sub), std::string::npos) << sub;
}

TEST(Main, EverySubcommandHasHelp) {
  const std::map<std::string, std::vector<std::string>> options = {
      {"check", {"MODEL"}},
      {"run", {"MODEL", "--input", "--output-dir", "--engine", "--seed"}},
      {"dump", {"MODEL", "--format", "--output"}},
      {"convert", {"IN", "--output", "--materialize"}},
      {"grad", {"MODEL", "--loss", "--wrt", "--output", "grad.<NAME>"}},
  };
  for (const auto &[sub, opts] : options) {
    SCOPED_TRACE(sub);
    ProcessResult r = runCli({sub, "--help"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_NE(r.out.find("Usage: adjoint " + sub), std::string::npos) << r.out;
    for (const std::string &opt : opts)
      EXPECT_NE(r.out.find(opt), std::string::npos) << opt << "\n" << r.out;
  }
}

TEST(Main, HelpNamesEveryModelFormatAndDumpFormat) {
  // Every command that reads a model reads .onnx too, and says so.
  for (const char *sub :
       {"check", "run", "dump", "bench", "grad", "train", "compile", "opt"}) {
    ProcessResult r = runCli({sub, "--help"});
    EXPECT_NE(r.out.find(".pb, .pbtxt, .adj or .onnx"), std::string::npos)
        << sub << "\n"
        << r.out;
  }
  ProcessResult top = runCli({"--help"});
  EXPECT_NE(top.out.find("LLVM IR or assembly"), std::string::npos) << top.out;
  TempDir dir;
  std::string file = dir / "model.txt";
  writeFile(file, "x");
  expectError(runCli({"check", file}), 2,
              {"unknown file extension '.txt'", ".pb, .pbtxt, .onnx or .adj"});
}

TEST(Main, PrintsTheVersion) {
  ProcessResult r = runCli({"--version"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("adjoint ", 0), 0u) << r.out;
}

TEST(Main, RequiresASubcommand) { expectError(runCli({}), 2, {"subcommand"}); }

TEST(Main, RejectsAnUnknownSubcommand) {
  expectError(runCli({"frobnicate"}), 2, {"frobnicate"});
}

TEST(Main, RejectsAnUnknownOption) {
  expectError(
      runCli({"check", sourcePath("examples/keras_mlp.pbtxt"), "--bogus"}), 2,
      {"--bogus"});
}

TEST(Main, RejectsAMissingModelArgument) {
  for (const std::string &sub : kSubcommands) {
    SCOPED_TRACE(sub);
    expectError(runCli({sub}), 2, {});
  }
}

TEST(Main, RejectsAMissingFile) {
  TempDir dir;
  std::string file = dir / "absent.pbtxt";
  for (const std::string &sub : {"check", "run", "dump"}) {
    SCOPED_TRACE(sub);
    expectError(runCli({sub, file}), 2, {file});
  }
  expectError(runCli({"convert", file, "-o", dir / "out.pb"}), 2, {file});
  expectError(runCli({"grad", file, "-o", dir / "out.pb"}), 2, {file});
}

TEST(Main, RejectsAFileThatIsNotAProtobuf) {
  TempDir dir;
  std::string pb = dir / "garbage.pb", pbtxt = dir / "garbage.pbtxt";
  // Eleven 0xff bytes: a varint longer than protobuf allows.
  writeFile(pb, std::string(11, '\xff'));
  writeFile(pbtxt, "this is { not a model ]\n");
  for (const std::string &file : {pb, pbtxt}) {
    SCOPED_TRACE(file);
    expectError(runCli({"check", file}), 2, {file});
  }
}

TEST(Main, RejectsATruncatedFile) {
  TempDir dir;
  std::string whole = dir / "whole.pb", cut = dir / "cut.pb";
  ProcessResult r = runCli({"convert", sourcePath("examples/fashion_mlp.pbtxt"),
                            "-o", whole, "--materialize"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string bytes = readFile(whole);
  writeFile(cut, bytes.substr(0, bytes.size() / 2));
  expectError(runCli({"check", cut}), 2, {cut});
  expectError(runCli({"run", cut}), 2, {cut});
}

TEST(Main, RejectsAnUnknownExtension) {
  TempDir dir;
  std::string file = dir / "model.onnx";
  writeFile(file, readFile(sourcePath("examples/keras_mlp.pbtxt")));
  expectError(runCli({"check", file}), 2, {file, "a text file"});
}

TEST(Main, ListsUnknownOps) {
  TempDir dir;
  std::string file = dir / "unknown_ops.pbtxt";
  writeFile(file, R"(format_version: 1
graph {
  name: "unknown_ops"
  inputs { name: "x" type { dtype: F32 dims: 4 } }
  nodes { op: "frobnicate" operands: "x" result: "y" }
  nodes { op: "relu" operands: "y" result: "z" }
  nodes { op: "twiddle" operands: "z" result: "w" }
  outputs { name: "w" value: "w" }
}
)");
  for (const std::string &sub : {"check", "run", "dump"}) {
    SCOPED_TRACE(sub);
    expectError(runCli({sub, file}), 2, {file, "frobnicate", "twiddle"});
  }
}

TEST(Main, ReportsABadModelInOneLine) {
  TempDir dir;
  std::string file = dir / "bad_shapes.pbtxt";
  writeFile(file, R"(format_version: 1
graph {
  name: "bad_shapes"
  inputs { name: "a" type { dtype: F32 dims: 2 dims: 3 } }
  inputs { name: "b" type { dtype: F32 dims: 4 dims: 5 } }
  nodes { op: "matmul" operands: "a" operands: "b" result: "c" }
  outputs { name: "c" value: "c" }
}
)");
  expectError(runCli({"check", file}), 2, {file, "matmul", "[2,3]", "[4,5]"});
}

} // namespace
