//===- ExamplesTest.cpp - The committed examples match their generator ----===//
#include "tests/cli/CliTestSupport.h"

#include "ir/ModelIO.h"

#include <map>

using namespace adjoint;
using namespace adjoint::test;

namespace {

TEST(Examples, CommittedFilesEqualWhatMakeExamplesWrites) {
  TempDir dir;
  ProcessResult r =
      runProgram(std::string(ADJOINT_BINARY_DIR) + "/bin/make_examples",
                 {dir.path().string()});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const std::string &name : exampleNames()) {
    SCOPED_TRACE(name);
    std::string fresh = readFile(dir / name);
    ASSERT_FALSE(fresh.empty());
    EXPECT_TRUE(fresh == readFile(sourcePath("examples/" + name)))
        << "examples/" << name
        << " is stale: run 'make_examples examples' and commit the result";
  }
}

TEST(Examples, KeepWeightsAsRecipes) {
  for (const std::string &name : exampleNames()) {
    SCOPED_TRACE(name);
    Model m = loadModel(sourcePath("examples/" + name));
    for (const Param &p : m.graph.params())
      EXPECT_TRUE(p.init.has_value()) << p.value->name();
    // Recipes keep the files small even for the 3.3M-weight CNN.
    EXPECT_LT(std::filesystem::file_size(sourcePath("examples/" + name)),
              20000u);
  }
}

TEST(Examples, FashionCnnHasTheClassicShapes) {
  Model m = loadModel(sourcePath("examples/fashion_cnn.pbtxt"));
  std::map<std::string, Shape> shapes;
  for (const Param &p : m.graph.params())
    shapes[p.value->name()] = p.value->type().shape;
  EXPECT_EQ(shapes["conv1_w"], (Shape{32, 1, 5, 5}));
  EXPECT_EQ(shapes["conv1_b"], (Shape{32, 1, 1}));
  EXPECT_EQ(shapes["conv2_w"], (Shape{64, 32, 5, 5}));
  EXPECT_EQ(shapes["conv2_b"], (Shape{64, 1, 1}));
  EXPECT_EQ(shapes["fc1_w"], (Shape{3136, 1024}));
  EXPECT_EQ(shapes["fc1_b"], (Shape{1024}));
  EXPECT_EQ(shapes["fc2_w"], (Shape{1024, 10}));
  EXPECT_EQ(shapes["fc2_b"], (Shape{10}));
  ASSERT_EQ(m.graph.outputs().size(), 2u);
  EXPECT_EQ(m.graph.outputs()[0].name, "probs");
  EXPECT_EQ(m.graph.outputs()[1].name, "logits");
}

} // namespace
