//===- InterpreterCasesReduce.cpp - Reductions and argmax -----------------===//
#include "InterpreterCases.h"

namespace adjoint::test {

namespace {

Attributes axes(Ints a, bool keepdims = false) {
  Attributes out = attrs({{"axes", std::move(a)}});
  if (keepdims)
    out.set("keepdims", true);
  return out;
}

Attributes argAxis(int64_t axis, bool keepdims = false) {
  Attributes out = attrs({{"axis", axis}});
  if (keepdims)
    out.set("keepdims", true);
  return out;
}

std::vector<OpCase> sums() {
  using K = OpKind;
  Tensor m23 = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  return {
      expect("reduce_sum_all", K::ReduceSum, {m23}, f32({}, {21})),
      expect("reduce_sum_axis0", K::ReduceSum, {m23}, f32({3}, {5, 7, 9}),
             axes({0})),
      expect("reduce_sum_negative_axis", K::ReduceSum, {m23}, f32({2}, {6, 15}),
             axes({-1})),
      expect("reduce_sum_keepdims", K::ReduceSum, {m23}, f32({2, 1}, {6, 15}),
             axes({1}, true)),
      expect("reduce_sum_all_keepdims", K::ReduceSum, {m23}, f32({1, 1}, {21}),
             attrs({{"keepdims", true}})),
      expect("reduce_sum_two_axes", K::ReduceSum,
             {counting(DType::F64, {2, 2, 2}, 0)}, f64({2}, {10, 18}),
             axes({0, -1})),
      // An empty axis list reduces nothing.
      expect("reduce_sum_no_axes", K::ReduceSum, {f32({2}, {1, -0.0f})},
             f32({2}, {1, -0.0f}), axes({})),
      // A sum of negative zeros is -0 (as in IEEE and numpy); an empty sum
      // is +0.
      expect("reduce_sum_negative_zeros", K::ReduceSum,
             {f64({2, 2}, {-0.0, -0.0, -0.0, 0.0})}, f64({2}, {-0.0, 0.0}),
             axes({1})),
      expect("reduce_sum_scalar", K::ReduceSum, {f32({}, {5})}, f32({}, {5})),
      expect("reduce_sum_empty_is_zero", K::ReduceSum, {f32({0, 3}, {})},
             f32({3}, {0, 0, 0}), axes({0})),
      expect("reduce_sum_empty_all", K::ReduceSum, {i32({0}, {})},
             i32({}, {0})),
      expect("reduce_sum_of_empty_rows", K::ReduceSum, {f64({2, 0}, {})},
             f64({2, 1}, {0, 0}), axes({1}, true)),
      // f32 sums accumulate in f64: in f32, 1e8 + 1 would round back to 1e8
      // and 2^24 + 1 to 2^24.
      expect("reduce_sum_f32_accumulates_in_f64", K::ReduceSum,
             {f32({2, 4}, {1e8f, 1, -1e8f, 1, 16777216, 1, 1, 2})},
             f32({2}, {2, 16777220}), axes({1})),
      expect("reduce_sum_nan_and_inf", K::ReduceSum,
             {f32({2, 2}, {1, kNaNf, kInff, -kInff})}, f32({2}, {kNaNf, kNaNf}),
             axes({1})),
      expect("reduce_sum_i32_wraps", K::ReduceSum, {i32({2}, {kI32Max, 1})},
             i32({}, {kI32Min})),
      expect("reduce_sum_i64_wraps", K::ReduceSum,
             {i64({3}, {kI64Max, kI64Max, 2})}, i64({}, {0})),
      expect("reduce_sum_u8_wraps", K::ReduceSum, {u8({2}, {200, 100})},
             u8({}, {44})),
  };
}

std::vector<OpCase> means() {
  using K = OpKind;
  Tensor m23 = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  return {
      expect("reduce_mean_all", K::ReduceMean, {m23}, f32({}, {3.5f})),
      expect("reduce_mean_axis0", K::ReduceMean, {m23},
             f32({3}, {2.5f, 3.5f, 4.5f}), axes({0})),
      expect("reduce_mean_negative_axis_keepdims", K::ReduceMean, {m23},
             f32({2, 1}, {2, 5}), axes({-1}, true)),
      expect("reduce_mean_two_axes_f64", K::ReduceMean,
             {counting(DType::F64, {2, 2, 2}, 0)}, f64({2}, {2.5, 4.5}),
             axes({0, -1})),
      expect("reduce_mean_no_axes", K::ReduceMean, {f32({2}, {1, -0.0f})},
             f32({2}, {1, -0.0f}), axes({})),
      expect("reduce_mean_scalar", K::ReduceMean, {f64({}, {-7})},
             f64({}, {-7})),
      // The sum is taken in f64: in f32, 1e8 + 1 would round back to 1e8.
      expect("reduce_mean_f32_accumulates_in_f64", K::ReduceMean,
             {f32({4}, {1e8f, 1, 1, -1e8f})}, f32({}, {0.5f})),
      // One rounding, after the division.
      expect("reduce_mean_one_third_f64", K::ReduceMean, {f64({3}, {0, 0, 1})},
             f64({}, {1.0 / 3.0})),
      // numpy.mean of nothing is 0/0 = NaN.
      expect("reduce_mean_empty_is_nan", K::ReduceMean, {f32({0, 2}, {})},
             f32({2}, {kNaNf, kNaNf}), axes({0})),
      expect("reduce_mean_nan_and_inf", K::ReduceMean,
             {f32({2, 2}, {1, kNaNf, kInff, -kInff})}, f32({2}, {kNaNf, kNaNf}),
             axes({1})),
      expect("reduce_mean_inf", K::ReduceMean, {f64({2}, {kInf, 1})},
             f64({}, {kInf})),
      expectError("reduce_mean_i32_rejected", K::ReduceMean, {i32({2}, {1, 2})},
                  {}, ErrorKind::BadInput,
                  "reduce_mean: operand must have a float type (f32, f64), not "
                  "i32[2]"),
      expectError("reduce_mean_bool_rejected", K::ReduceMean,
                  {boolean({2}, {true, false})}, {}, ErrorKind::BadInput,
                  "reduce_mean: operand must have a float type (f32, f64), not "
                  "bool[2]"),
  };
}

std::vector<OpCase> extrema() {
  using K = OpKind;
  Tensor m23 = f32({2, 3}, {1, 5, 3, -1, -5, -2});
  return {
      expect("reduce_max_axis1", K::ReduceMax, {m23}, f32({2}, {5, -1}),
             axes({1})),
      expect("reduce_max_all", K::ReduceMax, {m23}, f32({}, {5})),
      expect("reduce_max_keepdims_negative_axis", K::ReduceMax, {m23},
             f32({1, 3}, {1, 5, 3}), axes({-2}, true)),
      expect("reduce_max_nan_propagates", K::ReduceMax,
             {f32({2, 3}, {1, kNaNf, 3, kNaNf, 1, kInff})},
             f32({2}, {kNaNf, kNaNf}), axes({1})),
      expect("reduce_max_empty_f32", K::ReduceMax, {f32({2, 0}, {})},
             f32({2}, {-kInff, -kInff}), axes({1})),
      expect("reduce_max_empty_f64", K::ReduceMax, {f64({0}, {})},
             f64({}, {-kInf})),
      expect("reduce_max_empty_i32", K::ReduceMax, {i32({0}, {})},
             i32({}, {kI32Min})),
      expect("reduce_max_empty_i64", K::ReduceMax, {i64({0, 2}, {})},
             i64({2}, {kI64Min, kI64Min}), axes({0})),
      expect("reduce_max_empty_u8", K::ReduceMax, {u8({0}, {})}, u8({}, {0})),
      expect("reduce_max_f64", K::ReduceMax, {f64({3}, {-kInf, -1e308, -2})},
             f64({}, {-2})),
      expect("reduce_max_i32", K::ReduceMax, {i32({3}, {kI32Min, -7, -9})},
             i32({}, {-7})),
      expect("reduce_max_i64", K::ReduceMax, {i64({2}, {kI64Max, 0})},
             i64({}, {kI64Max})),
      expect("reduce_max_u8", K::ReduceMax, {u8({3}, {3, 255, 7})},
             u8({}, {255})),
      expect("reduce_max_zero_size_kept_axis", K::ReduceMax, {f32({0, 3}, {})},
             f32({0}, {}), axes({1})),

      expect("reduce_min_axis0", K::ReduceMin, {m23}, f32({3}, {-1, -5, -2}),
             axes({0})),
      expect("reduce_min_nan_propagates", K::ReduceMin,
             {f32({3}, {-kInff, kNaNf, 1})}, f32({}, {kNaNf})),
      expect("reduce_min_empty_f32", K::ReduceMin, {f32({0}, {})},
             f32({}, {kInff})),
      expect("reduce_min_empty_f64", K::ReduceMin, {f64({1, 0}, {})},
             f64({1, 1}, {kInf}), axes({1}, true)),
      expect("reduce_min_empty_i32", K::ReduceMin, {i32({0}, {})},
             i32({}, {kI32Max})),
      expect("reduce_min_empty_i64", K::ReduceMin, {i64({0}, {})},
             i64({}, {kI64Max})),
      expect("reduce_min_empty_u8", K::ReduceMin, {u8({0}, {})}, u8({}, {255})),
      expect("reduce_min_f64", K::ReduceMin, {f64({2, 2}, {3, kInf, -0.5, 2})},
             f64({2}, {-0.5, 2}), axes({0})),
      expect("reduce_min_i32", K::ReduceMin, {i32({3}, {kI32Max, -7, 9})},
             i32({}, {-7})),
      expect("reduce_min_i64", K::ReduceMin, {i64({2}, {kI64Min, 0})},
             i64({}, {kI64Min})),
      expect("reduce_min_u8", K::ReduceMin, {u8({3}, {3, 255, 7})},
             u8({}, {3})),
  };
}

std::vector<OpCase> argmaxes() {
  using K = OpKind;
  Tensor m23 = f32({2, 3}, {1, 5, 5, 7, 2, 7});
  return {
      // The first maximum wins.
      expect("argmax_axis1_first_wins", K::Argmax, {m23}, i64({2}, {1, 0}),
             argAxis(1)),
      expect("argmax_axis0_keepdims", K::Argmax, {m23}, i64({1, 3}, {1, 0, 1}),
             argAxis(0, true)),
      expect("argmax_negative_axis", K::Argmax, {m23}, i64({2}, {1, 0}),
             argAxis(-1)),
      expect("argmax_middle_axis", K::Argmax,
             {f64({2, 3, 2}, {0, 9, 4, 1, 2, 8, 3, 3, 3, 3, 5, -1})},
             i64({2, 2}, {1, 0, 2, 0}), argAxis(1)),
      // NaN beats every number, and the first NaN wins.
      expect("argmax_nan_wins", K::Argmax,
             {f32({3, 3}, {1, kNaNf, kNaNf, kNaNf, kInff, 2, -kInff, -1, -2})},
             i64({3}, {1, 0, 1}), argAxis(1)),
      expect("argmax_rank1", K::Argmax, {f64({3}, {-1, -0.5, -2})},
             i64({}, {1}), argAxis(0)),
      expect("argmax_all_equal", K::Argmax, {f32({3}, {2, 2, 2})}, i64({}, {0}),
             argAxis(0)),
      expect("argmax_i32", K::Argmax, {i32({3}, {kI32Min, kI32Max, kI32Max})},
             i64({}, {1}), argAxis(0)),
      expect("argmax_i64", K::Argmax, {i64({2, 2}, {kI64Min, -1, 5, 4})},
             i64({2}, {1, 0}), argAxis(1)),
      expect("argmax_u8", K::Argmax, {u8({3}, {7, 255, 200})}, i64({}, {1}),
             argAxis(0)),
      expect("argmax_zero_size_outer", K::Argmax, {f32({0, 3}, {})},
             i64({0}, {}), argAxis(1)),
  };
}

} // namespace

std::vector<OpCase> reduceCases() {
  std::vector<OpCase> out = sums();
  for (auto family : {means, extrema, argmaxes})
    for (OpCase &c : family())
      out.push_back(std::move(c));
  return out;
}

} // namespace adjoint::test
