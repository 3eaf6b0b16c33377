//===- InterpreterCasesUnary.cpp - Unary ops, cast and sources ------------===//
#include "InterpreterCases.h"

namespace adjoint::test {

namespace {

constexpr double kE = 2.718281828459045;
constexpr double kLibm32 = 1e-6;  // relative error allowed for f32 libm
constexpr double kLibm64 = 1e-14; // and for f64

/// 0, 1, ..., n-1 converted to u8 the way cast does (keeping the low bits).
Tensor u8Iota(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i)
    v.push_back(i % 256);
  return u8({n}, v);
}

Attributes castTo(DType t) { return attrs({{"to", t}}); }

std::vector<OpCase> unaryMath() {
  using K = OpKind;
  return {
      // neg: -x; ints wrap.
      expect("neg_f32", K::Neg, {f32({5}, {1.5f, -2, 0.0f, -0.0f, kInff})},
             f32({5}, {-1.5f, 2, -0.0f, 0.0f, -kInff})),
      expect("neg_f64_nan", K::Neg, {f64({2}, {1e300, kNaN})},
             f64({2}, {-1e300, kNaN})),
      expect("neg_i32_wraps", K::Neg, {i32({3}, {5, kI32Min, kI32Max})},
             i32({3}, {-5, kI32Min, -kI32Max})),
      expect("neg_i64_wraps", K::Neg, {i64({2}, {kI64Min, 7})},
             i64({2}, {kI64Min, -7})),
      expect("neg_f32_scalar", K::Neg, {f32({}, {3})}, f32({}, {-3})),
      expect("neg_f32_empty", K::Neg, {f32({0, 3}, {})}, f32({0, 3}, {})),

      // abs: abs(INT_MIN) = INT_MIN; u8 unchanged.
      expect("abs_f32", K::Abs, {f32({5}, {-1.5f, 2, -0.0f, -kInff, kNaNf})},
             f32({5}, {1.5f, 2, 0.0f, kInff, kNaNf})),
      expect("abs_f64", K::Abs, {f64({2}, {-2.25, 0.5})},
             f64({2}, {2.25, 0.5})),
      expect("abs_i32_min_wraps", K::Abs, {i32({3}, {-3, kI32Min, 4})},
             i32({3}, {3, kI32Min, 4})),
      expect("abs_i64_min_wraps", K::Abs, {i64({2}, {kI64Min, -9})},
             i64({2}, {kI64Min, 9})),
      expect("abs_u8", K::Abs, {u8({3}, {0, 200, 255})},
             u8({3}, {0, 200, 255})),

      // sign: +-1, and zeros of either sign and NaN pass through.
      expect("sign_f32", K::Sign,
             {f32({6}, {-2.5f, 0.0f, -0.0f, 3, kNaNf, -kInff})},
             f32({6}, {-1, 0.0f, -0.0f, 1, kNaNf, -1})),
      expect("sign_f64_tiny", K::Sign, {f64({2}, {1e-300, -1e-300})},
             f64({2}, {1, -1})),
      expect("sign_i32", K::Sign, {i32({4}, {-7, 0, 9, kI32Min})},
             i32({4}, {-1, 0, 1, -1})),
      expect("sign_i64", K::Sign, {i64({3}, {kI64Min, 0, kI64Max})},
             i64({3}, {-1, 0, 1})),
      expect("sign_u8", K::Sign, {u8({3}, {0, 1, 255})}, u8({3}, {0, 1, 1})),

      // exp, log, sqrt, tanh, erf: libm in the operand's precision.
      expect("exp_f32", K::Exp,
             {f32({7}, {0, 1, -1, -kInff, kInff, kNaNf, 100})},
             f32({7}, {1, (float)kE, 0.36787944f, 0, kInff, kNaNf, kInff}), {},
             kLibm32),
      expect("exp_f64", K::Exp, {f64({3}, {0, 1, 710})},
             f64({3}, {1, kE, kInf}), {}, kLibm64),
      expect("log_f32", K::Log,
             {f32({7}, {1, (float)kE, 0.0f, -0.0f, -1, kInff, kNaNf})},
             f32({7}, {0, 1, -kInff, -kInff, kNaNf, kInff, kNaNf}), {},
             kLibm32),
      expect("log_f64", K::Log, {f64({2}, {1, 10})},
             f64({2}, {0, 2.302585092994046}), {}, kLibm64),
      // sqrt is correctly rounded, so it is checked exactly.
      expect("sqrt_f32", K::Sqrt,
             {f32({6}, {4, 2.25f, 0.0f, -0.0f, -1, kInff})},
             f32({6}, {2, 1.5f, 0.0f, -0.0f, kNaNf, kInff})),
      expect("sqrt_f64", K::Sqrt, {f64({2}, {2, kNaN})},
             f64({2}, {1.4142135623730951, kNaN})),
      expect("tanh_f32", K::Tanh, {f32({6}, {1, -1, kInff, -kInff, 20, kNaNf})},
             f32({6}, {0.7615942f, -0.7615942f, 1, -1, 1, kNaNf}), {}, kLibm32),
      expect("tanh_f32_signed_zero", K::Tanh, {f32({2}, {0.0f, -0.0f})},
             f32({2}, {0.0f, -0.0f})),
      expect("tanh_f64", K::Tanh, {f64({1}, {0.5})},
             f64({1}, {0.46211715726000974}), {}, kLibm64),
      expect("erf_f32", K::Erf, {f32({5}, {1, -1, kInff, -kInff, kNaNf})},
             f32({5}, {0.8427008f, -0.8427008f, 1, -1, kNaNf}), {}, kLibm32),
      expect("erf_f64", K::Erf, {f64({2}, {0.5, -0.0})},
             f64({2}, {0.5204998778130465, -0.0}), {}, kLibm64),

      // sigmoid: stable at both ends (a naive 1/(1+exp(-x)) gives 0 for
      // very negative x).
      expect("sigmoid_f32", K::Sigmoid,
             {f32({7}, {0, 1, -1, kInff, -kInff, kNaNf, -50})},
             f32({7},
                 {0.5f, 0.7310586f, 0.26894142f, 1, 0, kNaNf, 1.9287498e-22f}),
             {}, kLibm32),
      expect("sigmoid_f32_saturates", K::Sigmoid, {f32({2}, {100, -100})},
             f32({2}, {1, 3.7200760e-44f}), {}, 0.05),
      expect("sigmoid_f64", K::Sigmoid, {f64({3}, {-710, 0, 2})},
             f64({3}, {4.47628622567513e-309, 0.5, 0.8807970779778823}), {},
             kLibm64),

      // relu: NaN passes through, -0 becomes +0.
      expect("relu_f32", K::Relu,
             {f32({7}, {-1, 0.0f, -0.0f, 2.5f, kNaNf, -kInff, kInff})},
             f32({7}, {0, 0.0f, 0.0f, 2.5f, kNaNf, 0, kInff})),
      expect("relu_f64", K::Relu, {f64({3}, {-1e-300, 1e-300, kNaN})},
             f64({3}, {0, 1e-300, kNaN})),
      expect("relu_i32", K::Relu, {i32({4}, {-3, 0, 4, kI32Min})},
             i32({4}, {0, 0, 4, 0})),
      expect("relu_i64", K::Relu, {i64({2}, {kI64Min, kI64Max})},
             i64({2}, {0, kI64Max})),
      expect("relu_u8", K::Relu, {u8({3}, {0, 7, 255})}, u8({3}, {0, 7, 255})),

      expect("logical_not", K::LogicalNot, {boolean({3}, {1, 0, 1})},
             boolean({3}, {0, 1, 0})),
      expect("logical_not_scalar", K::LogicalNot, {boolean({}, {0})},
             boolean({}, {1})),
      expect("logical_not_empty", K::LogicalNot, {boolean({2, 0}, {})},
             boolean({2, 0}, {})),
  };
}

std::vector<OpCase> casts() {
  using K = OpKind;
  return {
      // float -> integer truncates toward zero and saturates; NaN -> 0.
      expect(
          "cast_f32_to_i32_saturates", K::Cast,
          {f32({8}, {1.9f, -1.9f, 3e9f, -3e9f, kNaNf, kInff, -kInff, -0.0f})},
          i32({8}, {1, -1, kI32Max, kI32Min, 0, kI32Max, kI32Min, 0}),
          castTo(DType::I32)),
      expect("cast_f64_to_u8_saturates", K::Cast,
             {f64({6}, {-1.5, 255.9, 256, 300, kNaN, 0.99})},
             u8({6}, {0, 255, 255, 255, 0, 0}), castTo(DType::U8)),
      expect("cast_f64_to_i64_saturates", K::Cast,
             {f64({4}, {1e19, -1e19, -2.5, 4611686018427387904.0})},
             i64({4}, {kI64Max, kI64Min, -2, 4611686018427387904}),
             castTo(DType::I64)),
      // float -> bool is x != 0, so NaN is true.
      expect("cast_f32_to_bool", K::Cast,
             {f32({5}, {0.0f, -0.0f, kNaNf, 0.1f, -kInff})},
             boolean({5}, {0, 0, 1, 1, 1}), castTo(DType::Bool)),
      // integer -> integer keeps the low bits.
      expect("cast_i64_to_u8_wraps", K::Cast, {i64({4}, {300, -1, 256, 255})},
             u8({4}, {44, 255, 0, 255}), castTo(DType::U8)),
      expect("cast_i32_to_u8_wraps", K::Cast, {i32({2}, {-1, 511})},
             u8({2}, {255, 255}), castTo(DType::U8)),
      expect("cast_i64_to_i32_wraps", K::Cast,
             {i64({2}, {4294967297, -2147483649})}, i32({2}, {1, kI32Max}),
             castTo(DType::I32)),
      expect("cast_u8_to_i32_zero_extends", K::Cast, {u8({2}, {255, 0})},
             i32({2}, {255, 0}), castTo(DType::I32)),
      expect("cast_i32_to_i64_sign_extends", K::Cast, {i32({2}, {-1, kI32Min})},
             i64({2}, {-1, kI32Min}), castTo(DType::I64)),
      // numeric -> bool is x != 0 (not the low bit).
      expect("cast_i32_to_bool", K::Cast, {i32({3}, {0, -5, 256})},
             boolean({3}, {0, 1, 1}), castTo(DType::Bool)),
      expect("cast_u8_to_bool", K::Cast, {u8({3}, {0, 2, 255})},
             boolean({3}, {0, 1, 1}), castTo(DType::Bool)),
      // integer -> float rounds to nearest, once: 2^60 + 2^36 + 1 lies just
      // above a tie of f32, which rounding through f64 first would break
      // to even (2^60).
      expect("cast_i64_to_f32_rounds_once", K::Cast,
             {i64({2}, {16777217, 1152921573326323713})},
             f32({2}, {16777216, 0x1p60f + 0x1p37f}), castTo(DType::F32)),
      expect("cast_i32_to_f64", K::Cast, {i32({2}, {-7, kI32Max})},
             f64({2}, {-7, 2147483647}), castTo(DType::F64)),
      expect("cast_u8_to_f32", K::Cast, {u8({2}, {255, 3})}, f32({2}, {255, 3}),
             castTo(DType::F32)),
      expect("cast_bool_to_f64", K::Cast, {boolean({2}, {1, 0})},
             f64({2}, {1, 0}), castTo(DType::F64)),
      expect("cast_bool_to_i32", K::Cast, {boolean({2}, {1, 0})},
             i32({2}, {1, 0}), castTo(DType::I32)),
      expect("cast_bool_to_u8", K::Cast, {boolean({2}, {0, 1})},
             u8({2}, {0, 1}), castTo(DType::U8)),
      // f64 -> f32 rounds to nearest; overflow gives inf.
      expect("cast_f64_to_f32", K::Cast,
             {f64({5}, {1e40, -1e40, 0.1, 1e-50, kNaN})},
             f32({5}, {kInff, -kInff, 0.1f, 0.0f, kNaNf}), castTo(DType::F32)),
      expect("cast_f32_to_f64_exact", K::Cast, {f32({1}, {0.1f})},
             f64({1}, {0.100000001490116119384765625}), castTo(DType::F64)),
      expect("cast_f32_to_f32", K::Cast, {f32({2}, {-0.0f, kNaNf})},
             f32({2}, {-0.0f, kNaNf}), castTo(DType::F32)),
      expect("cast_bool_to_bool", K::Cast, {boolean({2}, {1, 0})},
             boolean({2}, {1, 0}), castTo(DType::Bool)),
      expect("cast_empty", K::Cast, {f32({0}, {})}, i64({0}, {}),
             castTo(DType::I64)),
  };
}

std::vector<OpCase> sources() {
  using K = OpKind;
  return {
      expect("constant_f32", K::Constant, {}, f32({2}, {1.5f, -0.0f}),
             attrs({{"value", f32({2}, {1.5f, -0.0f})}})),
      expect("constant_i64_scalar", K::Constant, {}, i64({}, {kI64Min}),
             attrs({{"value", i64({}, {kI64Min})}})),
      expect("constant_bool", K::Constant, {}, boolean({2, 1}, {1, 0}),
             attrs({{"value", boolean({2, 1}, {1, 0})}})),
      expect("constant_f64", K::Constant, {}, f64({}, {kNaN}),
             attrs({{"value", f64({}, {kNaN})}})),
      expect("constant_i32", K::Constant, {}, i32({3}, {kI32Min, 0, kI32Max}),
             attrs({{"value", i32({3}, {kI32Min, 0, kI32Max})}})),
      expect("constant_u8_empty", K::Constant, {}, u8({0, 2}, {}),
             attrs({{"value", u8({0, 2}, {})}})),

      expect("iota_i64_axis1", K::Iota, {}, i64({2, 3}, {0, 1, 2, 0, 1, 2}),
             attrs({{"dtype", DType::I64},
                    {"shape", Ints{2, 3}},
                    {"axis", int64_t{1}}})),
      expect("iota_f32_default_axis", K::Iota, {},
             f32({3, 2}, {0, 0, 1, 1, 2, 2}),
             attrs({{"dtype", DType::F32}, {"shape", Ints{3, 2}}})),
      expect("iota_i32_negative_axis", K::Iota, {}, i32({2, 2}, {0, 1, 0, 1}),
             attrs({{"dtype", DType::I32},
                    {"shape", Ints{2, 2}},
                    {"axis", int64_t{-1}}})),
      expect("iota_f64_middle_axis", K::Iota, {}, f64({1, 3, 1}, {0, 1, 2}),
             attrs({{"dtype", DType::F64},
                    {"shape", Ints{1, 3, 1}},
                    {"axis", int64_t{1}}})),
      expect("iota_u8_wraps", K::Iota, {}, u8Iota(300),
             attrs({{"dtype", DType::U8}, {"shape", Ints{300}}})),
      expect("iota_empty", K::Iota, {}, i64({0, 4}, {}),
             attrs({{"dtype", DType::I64},
                    {"shape", Ints{0, 4}},
                    {"axis", int64_t{1}}})),
  };
}

} // namespace

std::vector<OpCase> unaryCases() {
  std::vector<OpCase> out = unaryMath();
  for (auto family : {casts, sources})
    for (OpCase &c : family())
      out.push_back(std::move(c));
  return out;
}

} // namespace adjoint::test
