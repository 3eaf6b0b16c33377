//===- InterpreterCases.h - The table of op semantics cases ----*- C++ -*-===//
//
// Every op's meaning, pinned by hand-computed cases: operands, attributes and
// the exact expected result (or error). The table is split by op family into
// InterpreterCases*.cpp; InterpreterTest runs every case through `evaluate`
// and OpTableTest checks that every op of Ops.def has at least one.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Attribute.h"
#include "ir/Error.h"
#include "ir/OpTable.h"
#include "ir/Tensor.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace adjoint::test {

/// One case: `op` on `operands` with `attrs` gives `expected`, or throws an
/// Error of `errorKind` whose message contains `errorText`.
struct OpCase {
  std::string name; ///< unique; letters, digits and '_'
  OpKind op;
  std::vector<Tensor> operands;
  Attributes attrs;
  Tensor expected;
  /// 0: values must match exactly (NaN matches NaN, -0 differs from +0).
  /// Otherwise the allowed relative error, for results of libm functions.
  double tolerance = 0;
  std::optional<ErrorKind> errorKind;
  std::string errorText;
};

/// Names the case in gtest's messages.
inline void PrintTo(const OpCase &c, std::ostream *os) { *os << c.name; }

/// A case expecting `expected`.
OpCase expect(std::string name, OpKind op, std::vector<Tensor> operands,
              Tensor expected, Attributes attrs = {}, double tolerance = 0);
/// A case expecting an Error of `kind` whose message contains `text`.
OpCase expectError(std::string name, OpKind op, std::vector<Tensor> operands,
                   Attributes attrs, ErrorKind kind, std::string text);

/// Runs one case through inferType and evaluate, with gtest assertions.
void checkOpCase(const OpCase &c);

// The families of the table.
std::vector<OpCase> unaryCases();       // InterpreterCasesUnary.cpp
std::vector<OpCase> binaryCases();      // InterpreterCasesBinary.cpp
std::vector<OpCase> reduceCases();      // InterpreterCasesReduce.cpp
std::vector<OpCase> shapeCases();       // InterpreterCasesShape.cpp
std::vector<OpCase> contractionCases(); // InterpreterCasesWindow.cpp
std::vector<OpCase> gradientCases();    // InterpreterCasesGrad.cpp
std::vector<OpCase> scanCases();        // InterpreterCasesScan.cpp
std::vector<OpCase> randomCases();      // InterpreterCasesRandom.cpp
/// Every case of every family.
const std::vector<OpCase> &allOpCases();

// Tensor literals: a shape and its elements in row-major order.
Tensor f32(Shape shape, std::vector<float> values);
Tensor f64(Shape shape, std::vector<double> values);
Tensor i32(Shape shape, std::vector<int32_t> values);
Tensor i64(Shape shape, std::vector<int64_t> values);
Tensor u8(Shape shape, std::vector<int> values);
Tensor boolean(Shape shape, std::vector<int> values);
/// Elements 1, 2, 3, ... of dtype `dtype`.
Tensor counting(DType dtype, Shape shape, double first = 1);

/// Attributes from name-value pairs.
Attributes attrs(std::vector<std::pair<std::string, AttrValue>> items);
using Ints = std::vector<int64_t>;

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
inline constexpr float kInff = std::numeric_limits<float>::infinity();
inline constexpr int32_t kI32Min = std::numeric_limits<int32_t>::min();
inline constexpr int32_t kI32Max = std::numeric_limits<int32_t>::max();
inline constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

} // namespace adjoint::test
