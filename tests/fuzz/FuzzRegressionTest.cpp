//===- FuzzRegressionTest.cpp - Every input that once crashed a fuzz target =//
//
// tests/fuzz/<target>/ holds the inputs that scripts/fuzz.sh found crashing
// fuzz target <target> (fuzz/FuzzTargets.h), each named after what it
// exercised. Each runs through the same target here, in the ordinary suite
// (and in the sanitized one, which reports what the fuzzer's sanitizers
// reported): it must return normally, its bad input reported as
// adjoint::Error.
//
//===----------------------------------------------------------------------===//
#include "fuzz/FuzzTargets.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;

TEST(FuzzRegression, EveryCrashInputIsHandled) {
  fs::path root = fs::path(ADJOINT_SOURCE_DIR) / "tests" / "fuzz";
  int inputs = 0;
  for (const fs::directory_entry &dir : fs::directory_iterator(root)) {
    if (!dir.is_directory())
      continue;
    std::string target = dir.path().filename().string();
    auto it = adjoint::fuzz::fuzzTargets().find(target);
    ASSERT_NE(it, adjoint::fuzz::fuzzTargets().end())
        << "tests/fuzz/" << target << " names no fuzz target";
    for (const fs::directory_entry &file : fs::directory_iterator(dir)) {
      SCOPED_TRACE(file.path().string());
      std::ifstream in(file.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      std::string data = bytes.str();
      it->second(reinterpret_cast<const uint8_t *>(data.data()), data.size());
      ++inputs;
    }
  }
  EXPECT_GT(inputs, 0);
}

TEST(FuzzRegression, EveryTargetTakesTheEmptyInput) {
  for (const auto &[name, target] : adjoint::fuzz::fuzzTargets()) {
    SCOPED_TRACE(name);
    target(nullptr, 0);
  }
}

} // namespace
