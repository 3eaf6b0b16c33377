//===- FuzzTargets.h - What each fuzz target does with one input ----------===//
//
// One function per target: a loader (binary .pb, .pbtxt, the text IR .adj,
// .onnx, .npy, Fashion-MNIST's IDX files plain or gzip) or the interpreter
// on a small model. The libFuzzer executables (FuzzMain.cpp) call them, and
// so does tests/fuzz/FuzzRegressionTest.cpp on every input that once
// crashed one (tests/fuzz/<target>/), in the ordinary test suite.
//
// A target returns normally for any input: adjoint::Error is the expected
// answer to bad input and is caught. Anything else (another exception, a
// crash, a sanitizer report) is a finding.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace adjoint::fuzz {

using FuzzTarget = void (*)(const uint8_t *data, size_t size);

/// Every target by name: LoadBinary, LoadProtoText, LoadTextIr, LoadOnnx,
/// ReadNpy, ReadIdx, Interpret.
const std::map<std::string, FuzzTarget> &fuzzTargets();

} // namespace adjoint::fuzz
