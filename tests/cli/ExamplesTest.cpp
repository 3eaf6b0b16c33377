//===- ExamplesTest.cpp - The committed examples match their generator ----===//
#include "tests/cli/CliTestSupport.h"

#include "ir/ChannelsLast.h"
#include "ir/ModelIO.h"
#include "ir/SymbolicDim.h"

#include <map>
#include <regex>

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

TEST(Examples, TfCnnIsTheSeedsTensorFlowCnn) {
  Model m = loadModel(sourcePath("examples/tf_cnn.pbtxt"));
  int64_t any = symbolicDim(internSymbol("?"));
  ASSERT_EQ(m.graph.inputs().size(), 2u);
  EXPECT_EQ(m.graph.inputs()[0]->type(),
            (TensorType{DType::F32, {any, 28, 28, 1}}));
  EXPECT_EQ(m.graph.inputs()[1]->type(), (TensorType{DType::I64, {any}}));
  std::map<std::string, Shape> shapes;
  for (const Param &p : m.graph.params())
    shapes[p.value->name()] = p.value->type().shape;
  EXPECT_EQ(shapes["conv1_w"], (Shape{5, 5, 1, 32}));
  EXPECT_EQ(shapes["conv1_b"], (Shape{32}));
  EXPECT_EQ(shapes["conv2_w"], (Shape{5, 5, 32, 64}));
  EXPECT_EQ(shapes["fc1_w"], (Shape{3136, 1024}));
  EXPECT_EQ(shapes["fc2_w"], (Shape{1024, 10}));
  int channelsLast = 0;
  for (const auto &n : m.graph.nodes())
    channelsLast += isChannelsLastNode(*n);
  EXPECT_EQ(channelsLast, 4); // two convolutions, two pools
  std::vector<std::string> outputs;
  for (const Output &o : m.graph.outputs())
    outputs.push_back(o.name);
  EXPECT_EQ(outputs,
            (std::vector<std::string>{"probs", "logits", "loss", "accuracy"}));
  ASSERT_TRUE(m.training.has_value());
  EXPECT_EQ(m.training->optimizer->kind, OptimizerKind::Adam);
  EXPECT_EQ(m.training->batchSize, 50);
}

TEST(Examples, TfCnnTrainsAtItsSpecsBatch) {
  // A short run on Fashion-MNIST: the symbolic batch takes the spec's 50,
  // the NHWC layers train, and evaluation covers all 10,000 test images.
  if (!std::filesystem::exists(
          "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ProcessResult r =
      runCli({"train", sourcePath("examples/tf_cnn.pbtxt"), "--epochs", "1",
              "--limit", "3000", "--threads", "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("(60 steps of 50 per epoch"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(10000 examples)"), std::string::npos) << r.out;
  std::smatch acc;
  ASSERT_TRUE(
      std::regex_search(r.out, acc, std::regex(R"(test accuracy ([0-9.]+)%)")))
      << r.out;
  EXPECT_GT(std::stod(acc[1]), 60.0) << r.out;
}

TEST(Examples, TrainLikeKeras) {
  struct Expect {
    const char *name;
    TensorType x, y;
    int64_t batch;
  };
  // A symbolic batch N; the spec's batch size is what training uses.
  const int64_t n = symbolicDim(internSymbol("N"));
  for (const Expect &e :
       {Expect{"keras_mlp.pbtxt",
               {DType::F32, {n, 100}},
               {DType::F32, {n, 10}},
               32},
        Expect{
            "fashion_mlp.pbtxt", {DType::F32, {n, 784}}, {DType::I64, {n}}, 32},
        Expect{"fashion_mlp_wide.pbtxt",
               {DType::F32, {n, 784}},
               {DType::I64, {n}},
               64},
        Expect{"fashion_cnn.pbtxt",
               {DType::F32, {n, 1, 28, 28}},
               {DType::I64, {n}},
               64}}) {
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
    EXPECT_EQ(t.batchSize, e.batch);
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
