//===- NumpyCheckTest.cpp - `adjoint run` against an independent NumPy ---===//
//
// The acceptance test of the command: numpy_mlp_check.py reads a model with
// the generated Python protobuf module, computes it with NumPy and compares
// with what `adjoint run` writes.
//
//===----------------------------------------------------------------------===//
#include "tests/cli/CliTestSupport.h"

using namespace adjoint::test;

namespace {

void checkAgainstNumpy(const std::string &example) {
  TempDir dir;
  ProcessResult r = runProgram(
      ADJOINT_PYTHON,
      {sourcePath("tests/cli/numpy_mlp_check.py"), "--adjoint", ADJOINT_CLI,
       "--pb2-dir", std::string(ADJOINT_BINARY_DIR) + "/proto", "--model",
       sourcePath("examples/" + example), "--workdir", dir.path().string()});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("probs: float32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("loss: float32[]"), std::string::npos) << r.out;
}

TEST(NumpyCheck, FashionMlpMatchesNumpy) {
  checkAgainstNumpy("fashion_mlp.pbtxt");
}

TEST(NumpyCheck, FashionMlpWideMatchesNumpy) {
  checkAgainstNumpy("fashion_mlp_wide.pbtxt");
}

TEST(NumpyCheck, KerasMlpMatchesNumpy) { checkAgainstNumpy("keras_mlp.pbtxt"); }

} // namespace
