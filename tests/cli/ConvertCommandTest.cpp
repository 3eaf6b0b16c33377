//===- ConvertCommandTest.cpp - `adjoint convert` end to end --------------===//
#include "tests/cli/CliTestSupport.h"

#include "ir/ModelIO.h"
#include "ir/TextFormat.h"

using namespace adjoint;
using namespace adjoint::test;

namespace {

std::string example(const std::string &name) {
  return sourcePath("examples/" + name);
}

TEST(ConvertCommand, RoundTripsEveryExampleThroughAllFormats) {
  for (const std::string &name : exampleNames()) {
    SCOPED_TRACE(name);
    TempDir dir;
    std::string pb = dir / "m.pb", adj = dir / "m.adj",
                back = dir / "back.pbtxt";
    for (auto [from, to] :
         {std::pair{example(name), pb}, {pb, adj}, {adj, back}}) {
      ProcessResult r = runCli({"convert", from, "-o", to});
      ASSERT_EQ(r.status, 0) << from << " -> " << to << ": " << r.err;
      EXPECT_EQ(r.out, "");
      EXPECT_EQ(r.err, "");
    }
    Model original = loadModel(example(name));
    // Recipes survive every format, so the files are identical.
    EXPECT_EQ(readFile(back), readFile(example(name)));
    for (const std::string &file : {pb, adj, back})
      EXPECT_EQ(printModel(loadModel(file)), printModel(original)) << file;
  }
}

TEST(ConvertCommand, MaterializeWritesLiteralParameters) {
  TempDir dir;
  std::string model = example("fashion_mlp.pbtxt");
  std::string out = dir / "literal.pb";
  ProcessResult r = runCli({"convert", model, "-o", out, "--materialize"});
  ASSERT_EQ(r.status, 0) << r.err;
  Model original = loadModel(model), literal = loadModel(out);
  ASSERT_EQ(original.graph.params().size(), literal.graph.params().size());
  for (size_t i = 0; i < original.graph.params().size(); ++i) {
    const Param &a = original.graph.params()[i], &b = literal.graph.params()[i];
    EXPECT_TRUE(a.init.has_value());
    EXPECT_FALSE(b.init.has_value()) << b.value->name();
    EXPECT_TRUE(a.data.identical(b.data)) << b.value->name();
  }
  // The weights are now in the file: 50,890 floats.
  EXPECT_GT(std::filesystem::file_size(out), 50890u * 4);
}

TEST(ConvertCommand, RejectsAnUnknownOutputExtension) {
  TempDir dir;
  ProcessResult r =
      runCli({"convert", example("keras_mlp.pbtxt"), "-o", dir / "model.onnx"});
  expectError(r, 2, {"model.onnx"});
  EXPECT_FALSE(std::filesystem::exists(dir / "model.onnx"));
}

TEST(ConvertCommand, RequiresAnOutput) {
  ProcessResult r = runCli({"convert", example("keras_mlp.pbtxt")});
  expectError(r, 2, {"--output"});
}

} // namespace
