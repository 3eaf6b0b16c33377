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
  ASSERT_EQ(m.graph.outputs().size(), 3u);
  EXPECT_EQ(m.graph.outputs()[0].name, "probs");
  EXPECT_EQ(m.graph.outputs()[1].name, "logits");
  EXPECT_EQ(m.graph.outputs()[2].name, "loss");
}

TEST(Examples, TrainLikeKeras) {
  struct Expect {
    const char *name;
    TensorType x, y;
  };
  for (const Expect &e :
       {Expect{
            "keras_mlp.pbtxt", {DType::F32, {32, 100}}, {DType::F32, {32, 10}}},
        Expect{
            "fashion_mlp.pbtxt", {DType::F32, {32, 784}}, {DType::I64, {32}}},
        Expect{"fashion_mlp_wide.pbtxt",
               {DType::F32, {64, 784}},
               {DType::I64, {64}}},
        Expect{"fashion_cnn.pbtxt",
               {DType::F32, {64, 1, 28, 28}},
               {DType::I64, {64}}}}) {
    SCOPED_TRACE(e.name);
    Model m = loadModel(sourcePath(std::string("examples/") + e.name));
    ASSERT_EQ(m.graph.inputs().size(), 2u);
    EXPECT_EQ(m.graph.inputs()[0]->type(), e.x);
    EXPECT_EQ(m.graph.inputs()[1]->type(), e.y);
    ASSERT_TRUE(m.training.has_value());
    const TrainingSpec &t = *m.training;
    EXPECT_EQ(t.loss, "loss");
    ASSERT_TRUE(t.optimizer.has_value());
    EXPECT_EQ(t.optimizer->kind, OptimizerKind::Adam);
    EXPECT_EQ(t.optimizer->lr, 1e-3);
    EXPECT_EQ(t.batchSize, e.x.shape[0]);
    EXPECT_EQ(t.features, "x");
    EXPECT_EQ(t.labels, "y");
    EXPECT_EQ(t.predictions, "logits");
  }
}

TEST(Examples, WideMlpHasTwoHiddenLayers) {
  Model m = loadModel(sourcePath("examples/fashion_mlp_wide.pbtxt"));
  std::map<std::string, Shape> shapes;
  for (const Param &p : m.graph.params())
    shapes[p.value->name()] = p.value->type().shape;
  EXPECT_EQ(shapes["fc1_w"], (Shape{784, 256}));
  EXPECT_EQ(shapes["fc2_w"], (Shape{256, 128}));
  EXPECT_EQ(shapes["fc3_w"], (Shape{128, 10}));
  EXPECT_EQ(shapes["fc3_b"], (Shape{10}));
}

} // namespace
