//===- InterpreterCases.cpp - Literals and the runner of op cases ---------===//
#include "InterpreterCases.h"

#include "ir/Interpreter.h"
#include "ir/ShapeInference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace adjoint::test {

namespace {

template <typename T, typename V>
Tensor literal(Shape shape, const std::vector<V> &values) {
  Tensor t(TensorType{dtypeOf<T>(), std::move(shape)});
  EXPECT_EQ((int64_t)values.size(), t.numElements())
      << "literal of shape " << shapeStr(t.shape());
  for (size_t i = 0; i < values.size() && (int64_t)i < t.numElements(); ++i)
    t.data<T>()[i] = static_cast<T>(values[i]);
  return t;
}

/// Element i of `t` printed with its value, e.g. "-0" or "nan".
std::string elementStr(const Tensor &t, int64_t i) {
  return visitDType(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T v = t.data<T>()[i];
    if constexpr (std::is_floating_point_v<T>)
      return v == 0 ? std::string(std::signbit(v) ? "-0" : "0")
                    : strCat((double)v);
    else
      return strCat((int64_t)v);
  });
}

/// Whether element i of `got` matches element i of `want`.
bool elementMatches(const Tensor &got, const Tensor &want, int64_t i,
                    double tolerance) {
  return visitDType(want.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T g = got.data<T>()[i], w = want.data<T>()[i];
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(w) || std::isnan(g))
        return std::isnan(w) && std::isnan(g);
      if (tolerance == 0 || std::isinf(w))
        return g == w && std::signbit(g) == std::signbit(w);
      return std::fabs((double)g - (double)w) <=
             tolerance * std::fabs((double)w);
    } else {
      return g == w;
    }
  });
}

} // namespace

OpCase expect(std::string name, OpKind op, std::vector<Tensor> operands,
              Tensor expected, Attributes attrs, double tolerance) {
  OpCase c;
  c.name = std::move(name);
  c.op = op;
  c.operands = std::move(operands);
  c.attrs = std::move(attrs);
  c.expected = std::move(expected);
  c.tolerance = tolerance;
  return c;
}

OpCase expectError(std::string name, OpKind op, std::vector<Tensor> operands,
                   Attributes attrs, ErrorKind kind, std::string text) {
  OpCase c;
  c.name = std::move(name);
  c.op = op;
  c.operands = std::move(operands);
  c.attrs = std::move(attrs);
  c.errorKind = kind;
  c.errorText = std::move(text);
  return c;
}

void checkOpCase(const OpCase &c) {
  std::vector<TensorType> types;
  std::vector<Tensor> before;
  for (const Tensor &t : c.operands) {
    types.push_back(t.type());
    before.push_back(t.clone());
  }
  if (c.errorKind) {
    try {
      TensorType type = inferType(c.op, types, c.attrs);
      evaluate(c.op, c.operands, c.attrs, type);
      ADD_FAILURE() << "expected an error containing '" << c.errorText << "'";
    } catch (const Error &e) {
      EXPECT_EQ(e.kind(), *c.errorKind) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.errorText), std::string::npos)
          << "message '" << e.what() << "' lacks '" << c.errorText << "'";
    }
    return;
  }

  TensorType type = inferType(c.op, types, c.attrs);
  ASSERT_EQ(typeStr(type), typeStr(c.expected.type())) << "inferred type";
  Tensor got = evaluate(c.op, c.operands, c.attrs, type);
  ASSERT_EQ(typeStr(got.type()), typeStr(c.expected.type())) << "result type";
  for (int64_t i = 0; i < got.numElements(); ++i)
    EXPECT_TRUE(elementMatches(got, c.expected, i, c.tolerance))
        << "element " << i << ": got " << elementStr(got, i) << ", want "
        << elementStr(c.expected, i);
  // Kernels neither write to their operands nor return their storage.
  for (size_t k = 0; k < c.operands.size(); ++k) {
    EXPECT_TRUE(c.operands[k].identical(before[k])) << "operand " << k;
    if (got.byteSize() > 0) {
      EXPECT_NE(got.bytes(), c.operands[k].bytes()) << "aliases operand " << k;
    }
  }
}

const std::vector<OpCase> &allOpCases() {
  static const std::vector<OpCase> all = [] {
    std::vector<OpCase> out;
    for (auto family :
         {unaryCases, binaryCases, reduceCases, shapeCases, contractionCases,
          gradientCases, scanCases, randomCases})
      for (OpCase &c : family())
        out.push_back(std::move(c));
    return out;
  }();
  return all;
}

Tensor f32(Shape shape, std::vector<float> values) {
  return literal<float>(std::move(shape), values);
}
Tensor f64(Shape shape, std::vector<double> values) {
  return literal<double>(std::move(shape), values);
}
Tensor i32(Shape shape, std::vector<int32_t> values) {
  return literal<int32_t>(std::move(shape), values);
}
Tensor i64(Shape shape, std::vector<int64_t> values) {
  return literal<int64_t>(std::move(shape), values);
}
Tensor u8(Shape shape, std::vector<int> values) {
  return literal<uint8_t>(std::move(shape), values);
}
Tensor boolean(Shape shape, std::vector<int> values) {
  return literal<bool>(std::move(shape), values);
}

Tensor counting(DType dtype, Shape shape, double first) {
  Tensor t(TensorType{dtype, std::move(shape)});
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.setElementFromDouble(i, first + (double)i);
  return t;
}

Attributes attrs(std::vector<std::pair<std::string, AttrValue>> items) {
  Attributes a;
  for (auto &[name, value] : items)
    a.set(name, std::move(value));
  return a;
}

} // namespace adjoint::test
