//===- OpTableTest.cpp - Every op of the table is complete ----------------===//
//
// Walks allOps() and fails for any op that lacks a semantics case, a case
// for some dtype it allows, a working kernel for such a dtype, or an entry
// (a line "## `name`") in docs/ops.md.
//
//===----------------------------------------------------------------------===//
#include "InterpreterCases.h"

#include "ir/Builder.h"
#include "ir/Interpreter.h"
#include "ir/ShapeInference.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

using namespace adjoint;
using namespace adjoint::test;

namespace {

/// Operand types and attributes that make `op` well typed when its main
/// operand (or, for sources, its result) has dtype `t`, if `op` allows `t`.
struct Probe {
  std::vector<TensorType> operands;
  Attributes attrs;
};

Probe probe(OpKind op, DType t) {
  TensorType m23{t, {2, 3}}, v3{t, {3}};
  switch (op) {
  case OpKind::Neg:
  case OpKind::Abs:
  case OpKind::Sign:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Tanh:
  case OpKind::Sigmoid:
  case OpKind::Relu:
  case OpKind::Erf:
  case OpKind::LogicalNot:
    return {{m23}, {}};
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow:
  case OpKind::Maximum:
  case OpKind::Minimum:
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::LessEqual:
  case OpKind::Greater:
  case OpKind::GreaterEqual:
  case OpKind::LogicalAnd:
  case OpKind::LogicalOr:
    return {{m23, v3}, {}};
  case OpKind::Select:
    return {{{DType::Bool, {2, 3}}, v3, {t, {2, 1}}}, {}};
  case OpKind::Cast:
    return {{m23}, attrs({{"to", t}})};
  case OpKind::Constant:
    return {{}, attrs({{"value", Tensor(v3)}})};
  case OpKind::Iota:
    return {{}, attrs({{"dtype", t}, {"shape", Ints{2, 3}}})};
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    return {{m23}, attrs({{"axes", Ints{1}}})};
  case OpKind::Argmax:
    return {{m23}, attrs({{"axis", int64_t{1}}})};
  case OpKind::Reshape:
    return {{m23}, attrs({{"shape", Ints{3, 2}}})};
  case OpKind::Transpose:
    return {{m23}, {}};
  case OpKind::BroadcastTo:
    return {{v3}, attrs({{"shape", Ints{2, 3}}})};
  case OpKind::Slice:
    return {{m23}, attrs({{"starts", Ints{1}}, {"ends", Ints{2}}})};
  case OpKind::Concat:
    return {{m23, {t, {1, 3}}}, attrs({{"axis", int64_t{0}}})};
  case OpKind::Pad:
    return {{m23}, attrs({{"pads", Ints{1, 0, 0, 1}}})};
  case OpKind::Gather:
    return {{m23, {DType::I64, {2}}}, {}};
  case OpKind::OneHot: // t: the indices' dtype
    return {{{t, {2}}}, attrs({{"depth", int64_t{3}}})};
  case OpKind::MatMul:
    return {{m23, {t, {3, 2}}}, {}};
  case OpKind::Attention:
    return {{m23, m23, {t, {2, 4}}}, attrs({{"scale", 0.5}})};
  case OpKind::Conv2D:
    return {{{t, {1, 1, 3, 3}}, {t, {1, 1, 2, 2}}}, {}};
  case OpKind::MaxPool2D:
  case OpKind::AvgPool2D:
    return {{{t, {1, 1, 2, 2}}}, attrs({{"kernel", Ints{2, 2}}})};
  case OpKind::StopGradient:
    return {{m23}, {}};
  case OpKind::Conv2DInputGrad:
    return {{{t, {1, 1, 2, 2}}, {t, {1, 1, 2, 2}}},
            attrs({{"input_shape", Ints{1, 1, 3, 3}}})};
  case OpKind::Conv2DWeightGrad:
    return {{{t, {1, 1, 3, 3}}, {t, {1, 1, 2, 2}}},
            attrs({{"kernel", Ints{2, 2}}})};
  case OpKind::MaxPool2DGrad:
    return {{{t, {1, 1, 2, 2}}, {t, {1, 1, 1, 1}}},
            attrs({{"kernel", Ints{2, 2}}})};
  case OpKind::AvgPool2DGrad:
    return {{{t, {1, 1, 1, 1}}},
            attrs({{"kernel", Ints{2, 2}}, {"input_shape", Ints{1, 1, 2, 2}}})};
  case OpKind::ScatterAdd:
    return {{{DType::I64, {2}}, {t, {2, 3}}}, attrs({{"shape", Ints{4, 3}}})};
  case OpKind::Dropout:
    return {{m23, {DType::I64, {}}}, attrs({{"rate", 0.5}})};
  case OpKind::Scan: { // a body that keeps the last slice
    auto body = std::make_shared<Graph>("step");
    Builder b(*body);
    b.input("h", v3);
    b.output("next", b.input("x", v3));
    return {{v3, {t, {2, 3}}}, attrs({{"body", SubGraph(body)}})};
  }
  }
  __builtin_unreachable();
}

/// The dtype a case is filed under: its result's for sources, its first
/// branch's for select, its updates' for scatter_add, else its first
/// operand's.
DType caseDType(const OpCase &c) {
  if (c.operands.empty())
    return c.expected.dtype();
  bool second = c.op == OpKind::Select || c.op == OpKind::ScatterAdd;
  return c.operands[second ? 1 : 0].dtype();
}

/// The dtypes `op` allows according to inferType.
std::vector<DType> allowedDTypes(OpKind op) {
  std::vector<DType> out;
  for (DType t : kAllDTypes) {
    Probe p = probe(op, t);
    try {
      inferType(op, p.operands, p.attrs);
      out.push_back(t);
    } catch (const Error &) {
    }
  }
  return out;
}

TEST(OpTable, EveryOpHasASemanticsCase) {
  std::set<OpKind> covered;
  for (const OpCase &c : allOpCases())
    covered.insert(c.op);
  for (OpKind op : allOps())
    EXPECT_TRUE(covered.count(op))
        << "op " << opName(op) << " has no case in the semantics table "
        << "(tests/ir/InterpreterCases*.cpp)";
}

TEST(OpTable, EveryAllowedDTypeHasASemanticsCase) {
  std::set<std::pair<OpKind, DType>> covered;
  for (const OpCase &c : allOpCases())
    covered.insert({c.op, caseDType(c)});
  for (OpKind op : allOps()) {
    std::vector<DType> allowed = allowedDTypes(op);
    EXPECT_FALSE(allowed.empty())
        << "the probe of " << opName(op) << " is ill typed for every dtype";
    for (DType t : allowed)
      EXPECT_TRUE(covered.count({op, t}))
          << "op " << opName(op) << " allows " << dtypeName(t)
          << " but no semantics case uses it";
  }
}

TEST(OpTable, EveryAllowedDTypeEvaluates) {
  for (OpKind op : allOps())
    for (DType t : allowedDTypes(op)) {
      Probe p = probe(op, t);
      std::vector<Tensor> operands;
      for (const TensorType &type : p.operands)
        operands.emplace_back(type);
      TensorType type = inferType(op, p.operands, p.attrs);
      Tensor result = evaluate(op, operands, p.attrs, type);
      EXPECT_EQ(result.type(), type) << opName(op) << " on " << dtypeName(t);
    }
}

TEST(OpTable, EveryOpIsDocumented) {
  std::string path = std::string(ADJOINT_SOURCE_DIR) + "/docs/ops.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::set<std::string> headings;
  for (std::string line; std::getline(in, line);) {
    size_t close = line.find('`', 4);
    if (line.rfind("## `", 0) == 0 && close != std::string::npos)
      headings.insert(line.substr(4, close - 4));
  }
  for (OpKind op : allOps())
    EXPECT_TRUE(headings.count(std::string(opName(op))))
        << "docs/ops.md has no heading ## `" << opName(op) << "`";
}

} // namespace
