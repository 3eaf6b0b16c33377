//===- ScalarMathCodegenTest.cpp - Scalar math bitcode and vector code ----===//
//
// Reads two files the build makes (tests/CMakeLists.txt): the disassembled
// bitcode of compiler/codegen/ScalarMathBitcode.cpp, which must define every
// exported function and call only LLVM intrinsics, and asm/ScalarMathLoops.cpp
// compiled for AVX-512, where every loop must use zmm registers and call
// nothing.
//
//===----------------------------------------------------------------------===//

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

const char *const kFunctions[] = {
    "exp_f32",  "exp_f64",     "log_f32",     "log_f64", "tanh_f32",
    "tanh_f64", "sigmoid_f32", "sigmoid_f64", "erf_f32", "erf_f64"};

std::vector<std::string> readLines(const char *path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

bool startsWith(const std::string &s, const std::string &prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

TEST(ScalarMathCodegen, BitcodeDefinesEveryFunctionAndCallsOnlyIntrinsics) {
  std::vector<std::string> lines = readLines(ADJOINT_SCALAR_MATH_LL);
  for (const char *name : kFunctions) {
    std::string symbol = std::string("@adjoint_math_") + name + "(";
    bool defined = false;
    for (const std::string &line : lines)
      defined |=
          startsWith(line, "define ") && line.find(symbol) != std::string::npos;
    EXPECT_TRUE(defined) << symbol << " is not defined";
  }
  for (const std::string &line : lines) {
    if (startsWith(line, "declare "))
      EXPECT_NE(line.find(" @llvm."), std::string::npos)
          << "declares a library function: " << line;
    size_t call = line.find(" call ");
    if (call != std::string::npos)
      EXPECT_NE(line.find(" @llvm.", call), std::string::npos)
          << "calls a library function: " << line;
  }
}

TEST(ScalarMathCodegen, LoopsVectorizeToZmmWithoutCalls) {
  std::vector<std::string> lines = readLines(ADJOINT_SCALAR_MATH_ASM);
  for (const char *name : kFunctions) {
    std::string label = std::string("adjoint_loop_") + name + ":";
    size_t zmm = 0, calls = 0;
    bool inside = false, found = false;
    for (const std::string &line : lines) {
      if (startsWith(line, label))
        inside = found = true;
      else if (inside && startsWith(line, ".Lfunc_end"))
        inside = false;
      if (!inside)
        continue;
      zmm += line.find("%zmm") != std::string::npos;
      // A call, or a tail call: a jump to anything but a local label.
      bool jumpsOut = line.find("\tjmp\t") != std::string::npos &&
                      line.find("\tjmp\t.L") == std::string::npos;
      calls += jumpsOut || line.find("\tcall") != std::string::npos;
    }
    EXPECT_TRUE(found) << label << " is missing";
    EXPECT_GT(zmm, 10u) << label << " does not use zmm registers";
    EXPECT_EQ(calls, 0u) << label << " calls a function";
  }
}

} // namespace
