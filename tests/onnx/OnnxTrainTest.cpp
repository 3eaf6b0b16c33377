//===- OnnxTrainTest.cpp - Training an imported ONNX model ----------------===//
//
// Writes an MLP with its loss as an ONNX model, imports it with
// `adjoint import` and trains it on Fashion-MNIST with `adjoint train`, next
// to the native examples/fashion_mlp.pbtxt of the same architecture and
// initial parameters.
//
//===----------------------------------------------------------------------===//
#include "ir/Initializer.h"
#include "ir/ModelIO.h"
#include "tests/cli/CliTestSupport.h"
#include "tests/onnx/OnnxTestModels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>

using namespace adjoint;
using namespace adjoint::testing;
using adjoint::test::runProgram;
using adjoint::test::TempDir;

namespace {

const std::string kFashionDir = "/usr/share/datasets/fashion-mnist";

/// The initial value of parameter `name` of the native example, so that
/// both models start from the same point.
Tensor nativeInitial(const Model &native, const std::string &name) {
  const Param *p = native.graph.findParam(native.graph.findValue(name));
  return p->init ? materialize(*p->init, p->value->type()) : p->data;
}

/// x [N, 784] -> Gemm -> Relu -> Gemm -> logits [N, 10], and the mean
/// SoftmaxCrossEntropyLoss of the logits at labels y [N].
onnx::ModelProto onnxMlp(const Model &native) {
  onnx::ModelProto m = makeOnnxModel(13);
  addOnnxInput(m, "x", onnx::TensorProto::FLOAT, {-1, 784});
  addOnnxInput(m, "y", onnx::TensorProto::INT64, {-1});
  for (const char *name : {"fc1_w", "fc1_b", "fc2_w", "fc2_b"})
    addOnnxInitializer(m, name, nativeInitial(native, name));
  addOnnxNode(m, "Gemm", {"x", "fc1_w", "fc1_b"}, {"h"}, "fc1");
  addOnnxNode(m, "Relu", {"h"}, {"a"}, "relu");
  addOnnxNode(m, "Gemm", {"a", "fc2_w", "fc2_b"}, {"logits"}, "fc2");
  addOnnxNode(m, "SoftmaxCrossEntropyLoss", {"logits", "y"}, {"loss"}, "xent");
  addOnnxOutput(m, "logits", onnx::TensorProto::FLOAT, {-1, 10});
  addOnnxOutput(m, "loss", onnx::TensorProto::FLOAT, {});
  return m;
}

/// The test accuracy (in %) of the last epoch line of `out`, or -1.
double lastAccuracy(const std::string &out) {
  static const std::regex line(R"(test accuracy ([0-9.]+)%)");
  double found = -1;
  for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end;
       ++it)
    found = std::stod((*it)[1]);
  return found;
}

TEST(OnnxTrainTest, AnImportedMlpTrainsAsWellAsTheNativeOne) {
  if (!std::filesystem::exists(kFashionDir + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST is not installed (dataset-fashion-mnist)";
  TempDir dir;
  std::string nativePath =
      std::string(ADJOINT_SOURCE_DIR) + "/examples/fashion_mlp.pbtxt";
  writeOnnxModel(onnxMlp(loadModel(nativePath)), dir / "mlp.onnx");
  auto r = runProgram(ADJOINT_CLI,
                      {"import", dir / "mlp.onnx", "-o", dir / "mlp.pb",
                       "--input-shape", "x=32x784", "--input-shape", "y=32"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> common = {"--epochs",  "1", "--limit", "10000",
                                     "--threads", "1", "--seed",  "1"};
  std::vector<std::string> imported = {
      "train", dir / "mlp.pb", "--loss", "loss",          "--features",
      "x",     "--labels",     "y",      "--predictions", "logits"};
  imported.insert(imported.end(), common.begin(), common.end());
  r = runProgram(ADJOINT_CLI, imported);
  ASSERT_EQ(r.status, 0) << r.err;
  double onnxAccuracy = lastAccuracy(r.out);

  std::vector<std::string> native = {"train", nativePath};
  native.insert(native.end(), common.begin(), common.end());
  r = runProgram(ADJOINT_CLI, native);
  ASSERT_EQ(r.status, 0) << r.err;
  double nativeAccuracy = lastAccuracy(r.out);

  std::cout << "test accuracy after one epoch of 10000 examples: imported "
            << onnxAccuracy << "%, native " << nativeAccuracy << "%\n";
  EXPECT_GT(onnxAccuracy, 75.0);
  EXPECT_NEAR(onnxAccuracy, nativeAccuracy, 1.0);
}

} // namespace
