//===- InterpreterCasesShape.cpp - Data movement and gather ---------------===//
#include "InterpreterCases.h"

namespace adjoint::test {

namespace {

Attributes sliceAttrs(Ints starts, Ints ends, Ints axes = {}, Ints steps = {}) {
  Attributes a =
      attrs({{"starts", std::move(starts)}, {"ends", std::move(ends)}});
  if (!axes.empty())
    a.set("axes", std::move(axes));
  if (!steps.empty())
    a.set("steps", std::move(steps));
  return a;
}

std::vector<OpCase> layout() {
  using K = OpKind;
  Tensor m23 = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  return {
      expect("reshape_infers_minus_one", K::Reshape, {m23},
             f32({3, 2}, {1, 2, 3, 4, 5, 6}), attrs({{"shape", Ints{3, -1}}})),
      expect("reshape_to_scalar", K::Reshape, {i64({1, 1}, {kI64Min})},
             i64({}, {kI64Min}), attrs({{"shape", Ints{}}})),
      expect("reshape_from_scalar", K::Reshape, {boolean({}, {1})},
             boolean({1, 1}, {1}), attrs({{"shape", Ints{1, -1}}})),
      expect("reshape_f64", K::Reshape, {f64({4}, {1, -0.0, kNaN, 4})},
             f64({2, 2}, {1, -0.0, kNaN, 4}), attrs({{"shape", Ints{2, 2}}})),
      expect("reshape_i32", K::Reshape, {i32({2, 2}, {1, 2, 3, kI32Min})},
             i32({4}, {1, 2, 3, kI32Min}), attrs({{"shape", Ints{-1}}})),
      expect("reshape_zero_size", K::Reshape, {u8({0, 3}, {})}, u8({3, 0}, {}),
             attrs({{"shape", Ints{3, 0}}})),

      expect("transpose_default_reverses", K::Transpose, {m23},
             f32({3, 2}, {1, 4, 2, 5, 3, 6})),
      // out.shape[i] = in.shape[perm[i]]: out[a,b,c] = in[b,c,a].
      expect("transpose_perm_3d", K::Transpose,
             {counting(DType::I32, {2, 2, 2}, 0)},
             i32({2, 2, 2}, {0, 2, 4, 6, 1, 3, 5, 7}),
             attrs({{"perm", Ints{2, 0, 1}}})),
      expect("transpose_perm_rectangular", K::Transpose,
             {counting(DType::F64, {1, 2, 3}, 0)},
             f64({3, 1, 2}, {0, 3, 1, 4, 2, 5}),
             attrs({{"perm", Ints{2, 0, 1}}})),
      expect("transpose_negative_perm", K::Transpose, {m23},
             f32({3, 2}, {1, 4, 2, 5, 3, 6}), attrs({{"perm", Ints{-1, 0}}})),
      expect("transpose_identity", K::Transpose, {m23}, m23,
             attrs({{"perm", Ints{0, 1}}})),
      expect("transpose_i64", K::Transpose, {i64({1, 2}, {kI64Min, kI64Max})},
             i64({2, 1}, {kI64Min, kI64Max})),
      expect("transpose_scalar", K::Transpose, {u8({}, {9})}, u8({}, {9})),
      expect("transpose_zero_size", K::Transpose, {boolean({0, 2}, {})},
             boolean({2, 0}, {})),

      expect("broadcast_to_rows", K::BroadcastTo, {f32({3}, {1, 2, 3})},
             f32({2, 3}, {1, 2, 3, 1, 2, 3}), attrs({{"shape", Ints{2, 3}}})),
      expect("broadcast_to_columns", K::BroadcastTo, {i64({2, 1}, {1, 2})},
             i64({2, 3}, {1, 1, 1, 2, 2, 2}), attrs({{"shape", Ints{2, 3}}})),
      expect("broadcast_to_from_scalar", K::BroadcastTo, {boolean({}, {1})},
             boolean({2, 2}, {1, 1, 1, 1}), attrs({{"shape", Ints{2, 2}}})),
      expect("broadcast_to_zero_size", K::BroadcastTo, {f64({1}, {5})},
             f64({0}, {}), attrs({{"shape", Ints{0}}})),
      expect("broadcast_to_same", K::BroadcastTo, {u8({2}, {1, 2})},
             u8({2}, {1, 2}), attrs({{"shape", Ints{2}}})),
      expect("broadcast_to_scalar_to_scalar", K::BroadcastTo, {i32({}, {4})},
             i32({}, {4}), attrs({{"shape", Ints{}}})),
  };
}

std::vector<OpCase> slices() {
  using K = OpKind;
  Tensor v5 = counting(DType::F32, {5}, 0); // 0 1 2 3 4
  Tensor m34 = counting(DType::I32, {3, 4}, 0);
  return {
      expect("slice_basic", K::Slice, {v5}, f32({3}, {1, 2, 3}),
             sliceAttrs({1}, {4})),
      expect("slice_negative_indices", K::Slice, {v5}, f32({2}, {2, 3}),
             sliceAttrs({-3}, {-1})),
      expect("slice_clamps", K::Slice, {v5}, f32({5}, {0, 1, 2, 3, 4}),
             sliceAttrs({-100}, {100})),
      expect("slice_step", K::Slice, {v5}, f32({3}, {0, 2, 4}),
             sliceAttrs({0}, {5}, {}, {2})),
      expect("slice_step_not_dividing", K::Slice, {v5}, f32({2}, {1, 4}),
             sliceAttrs({1}, {5}, {}, {3})),
      expect("slice_negative_step", K::Slice, {v5}, f32({3}, {4, 2, 0}),
             sliceAttrs({-1}, {kI64Min}, {}, {-2})),
      expect("slice_reverse_all", K::Slice, {v5}, f32({5}, {4, 3, 2, 1, 0}),
             sliceAttrs({4}, {-6}, {}, {-1})),
      expect("slice_negative_step_clamps_start", K::Slice, {v5},
             f32({2}, {4, 3}), sliceAttrs({100}, {2}, {}, {-1})),
      expect("slice_empty_range", K::Slice, {v5}, f32({0}, {}),
             sliceAttrs({3}, {1})),
      expect("slice_empty_backwards", K::Slice, {v5}, f32({0}, {}),
             sliceAttrs({1}, {3}, {}, {-1})),
      expect("slice_huge_positive_step", K::Slice, {v5}, f32({1}, {1}),
             sliceAttrs({1}, {5}, {}, {kI64Max})),
      expect("slice_huge_negative_step", K::Slice, {v5}, f32({1}, {3}),
             sliceAttrs({3}, {-10}, {}, {kI64Min})),
      expect("slice_axes", K::Slice, {m34}, i32({3, 2}, {1, 2, 5, 6, 9, 10}),
             sliceAttrs({1}, {3}, {1})),
      expect("slice_negative_axes", K::Slice, {m34},
             i32({1, 4}, {8, 9, 10, 11}), sliceAttrs({2}, {3}, {-2})),
      expect("slice_two_axes_backwards", K::Slice, {m34},
             i32({2, 2}, {11, 8, 3, 0}),
             sliceAttrs({-1, -1}, {kI64Min, kI64Min}, {}, {-2, -3})),
      expect("slice_prefix_of_axes", K::Slice, {m34}, i32({1, 4}, {4, 5, 6, 7}),
             sliceAttrs({1}, {2})),
      expect("slice_f64", K::Slice, {f64({3}, {-0.0, kNaN, 2})},
             f64({2}, {-0.0, kNaN}), sliceAttrs({0}, {-1})),
      expect("slice_i64", K::Slice, {i64({3}, {kI64Min, 0, kI64Max})},
             i64({2}, {kI64Max, kI64Min}),
             sliceAttrs({2}, {kI64Min}, {}, {-2})),
      expect("slice_bool", K::Slice, {boolean({3}, {1, 0, 1})},
             boolean({2}, {0, 1}), sliceAttrs({1}, {3})),
      expect("slice_u8_of_empty", K::Slice, {u8({0, 2}, {})}, u8({0, 1}, {}),
             sliceAttrs({1}, {2}, {1})),
  };
}

std::vector<OpCase> joins() {
  using K = OpKind;
  return {
      expect("concat_axis0", K::Concat,
             {f32({1, 2}, {1, 2}), f32({2, 2}, {3, 4, 5, 6})},
             f32({3, 2}, {1, 2, 3, 4, 5, 6}), attrs({{"axis", int64_t{0}}})),
      expect("concat_negative_axis", K::Concat,
             {i64({2, 1}, {1, 2}), i64({2, 2}, {3, 4, 5, 6})},
             i64({2, 3}, {1, 3, 4, 2, 5, 6}), attrs({{"axis", int64_t{-1}}})),
      expect("concat_with_empty", K::Concat,
             {f64({2, 0}, {}), f64({2, 1}, {1, 2}), f64({2, 2}, {3, 4, 5, 6})},
             f64({2, 3}, {1, 3, 4, 2, 5, 6}), attrs({{"axis", int64_t{1}}})),
      expect("concat_single", K::Concat, {u8({2}, {7, 8})}, u8({2}, {7, 8}),
             attrs({{"axis", int64_t{0}}})),
      expect("concat_i32_middle_axis", K::Concat,
             {i32({1, 1, 2}, {1, 2}), i32({1, 2, 2}, {3, 4, 5, 6})},
             i32({1, 3, 2}, {1, 2, 3, 4, 5, 6}), attrs({{"axis", int64_t{1}}})),
      expect("concat_bool", K::Concat,
             {boolean({1}, {1}), boolean({2}, {0, 1})}, boolean({3}, {1, 0, 1}),
             attrs({{"axis", int64_t{0}}})),

      // pads = [begin_0.., end_0..]; value converts as by cast.
      expect("pad_1d", K::Pad, {f32({2}, {1, 2})}, f32({5}, {0, 1, 2, 0, 0}),
             attrs({{"pads", Ints{1, 2}}})),
      expect("pad_2d_value", K::Pad, {f32({1, 2}, {1, 2})},
             f32({2, 3}, {9, 9, 9, 1, 2, 9}),
             attrs({{"pads", Ints{1, 0, 0, 1}}, {"value", 9.0}})),
      expect("pad_f64_nan", K::Pad, {f64({1}, {1})}, f64({2}, {kNaN, 1}),
             attrs({{"pads", Ints{1, 0}}, {"value", kNaN}})),
      expect("pad_i32_value_truncates", K::Pad, {i32({1}, {5})},
             i32({3}, {2, 5, 2}),
             attrs({{"pads", Ints{1, 1}}, {"value", 2.7}})),
      expect("pad_i64_value_saturates", K::Pad, {i64({1}, {5})},
             i64({2}, {5, kI64Max}),
             attrs({{"pads", Ints{0, 1}}, {"value", 1e30}})),
      expect("pad_u8_value_saturates", K::Pad, {u8({1}, {5})}, u8({2}, {0, 5}),
             attrs({{"pads", Ints{1, 0}}, {"value", -1.0}})),
      expect("pad_u8_value_high", K::Pad, {u8({1}, {5})}, u8({2}, {5, 255}),
             attrs({{"pads", Ints{0, 1}}, {"value", 300.0}})),
      expect("pad_bool_value", K::Pad, {boolean({1}, {0})},
             boolean({2}, {1, 0}),
             attrs({{"pads", Ints{1, 0}}, {"value", 0.5}})),
      expect("pad_zero_size", K::Pad, {f32({0, 1}, {})}, f32({2, 1}, {0, 0}),
             attrs({{"pads", Ints{1, 0, 1, 0}}})),
      expect("pad_nothing", K::Pad, {f32({2}, {1, 2})}, f32({2}, {1, 2}),
             attrs({{"pads", Ints{0, 0}}})),
      expect("pad_scalar", K::Pad, {i32({}, {3})}, i32({}, {3}),
             attrs({{"pads", Ints{}}})),
  };
}

std::vector<OpCase> gathers() {
  using K = OpKind;
  Tensor m32 = f32({3, 2}, {1, 2, 3, 4, 5, 6});
  return {
      expect("gather_axis0", K::Gather, {m32, i64({2}, {2, 0})},
             f32({2, 2}, {5, 6, 1, 2})),
      expect("gather_axis1", K::Gather, {m32, i32({3}, {1, 1, 0})},
             f32({3, 3}, {2, 2, 1, 4, 4, 3, 6, 6, 5}),
             attrs({{"axis", int64_t{1}}})),
      expect("gather_negative_index", K::Gather, {m32, i64({1}, {-1})},
             f32({1, 2}, {5, 6})),
      expect("gather_scalar_index", K::Gather, {m32, i32({}, {1})},
             f32({2}, {3, 4})),
      expect("gather_negative_axis", K::Gather, {m32, i64({}, {-2})},
             f32({3}, {1, 3, 5}), attrs({{"axis", int64_t{-1}}})),
      expect("gather_2d_indices", K::Gather,
             {i64({4}, {10, 20, 30, 40}), i32({2, 2}, {3, 0, 1, 3})},
             i64({2, 2}, {40, 10, 20, 40})),
      expect("gather_empty_indices", K::Gather, {m32, i64({0}, {})},
             f32({0, 2}, {})),
      expect("gather_bool", K::Gather,
             {boolean({3}, {1, 0, 0}), i64({2}, {0, 2})}, boolean({2}, {1, 0})),
      expect("gather_i32", K::Gather,
             {i32({2, 2}, {1, 2, kI32Min, 4}), i64({1}, {1})},
             i32({1, 2}, {kI32Min, 4})),
      expect("gather_u8", K::Gather, {u8({2}, {9, 255}), i32({1}, {1})},
             u8({1}, {255})),
      expect("gather_f64_i32_min_dim", K::Gather,
             {f64({1, 2}, {0.5, 1.5}), i32({2}, {0, -1})},
             f64({2, 2}, {0.5, 1.5, 0.5, 1.5})),
      // An index outside [-dim, dim) is a run-time error.
      expectError("gather_index_too_large", K::Gather, {m32, i64({2}, {0, 3})},
                  {}, ErrorKind::Failed,
                  "gather: index 3 is out of range [-3, 3) for axis 0 of "
                  "f32[3,2]"),
      expectError("gather_index_too_negative", K::Gather, {m32, i32({1}, {-3})},
                  attrs({{"axis", int64_t{1}}}), ErrorKind::Failed,
                  "index -3 is out of range [-2, 2)"),
      expectError("gather_index_i64_min", K::Gather, {m32, i64({1}, {kI64Min})},
                  {}, ErrorKind::Failed, "out of range"),
  };
}

std::vector<OpCase> oneHots() {
  using K = OpKind;
  auto depth = [](int64_t d) { return attrs({{"depth", d}}); };
  return {
      expect("one_hot_i64", K::OneHot, {i64({3}, {2, 0, 1})},
             f32({3, 3}, {0, 0, 1, 1, 0, 0, 0, 1, 0}), depth(3)),
      expect("one_hot_i32_2d", K::OneHot, {i32({2, 2}, {1, 1, 0, 1})},
             f32({2, 2, 2}, {0, 1, 0, 1, 1, 0, 0, 1}), depth(2)),
      expect("one_hot_scalar_f64", K::OneHot, {i64({}, {3})},
             f64({4}, {0, 0, 0, 1}),
             attrs({{"depth", int64_t{4}}, {"dtype", DType::F64}})),
      expect("one_hot_to_i32", K::OneHot, {i32({2}, {0, 1})},
             i32({2, 2}, {1, 0, 0, 1}),
             attrs({{"depth", int64_t{2}}, {"dtype", DType::I32}})),
      expect("one_hot_empty", K::OneHot, {i64({0}, {})}, f32({0, 5}, {}),
             depth(5)),
      // Classes are never counted from the end, unlike gather's indices.
      expectError("one_hot_negative", K::OneHot, {i64({2}, {0, -1})}, depth(3),
                  ErrorKind::Failed,
                  "one_hot: index -1 of element 1 is outside the 3 classes "
                  "[0, 3)"),
      expectError("one_hot_too_large", K::OneHot, {i32({1}, {3})}, depth(3),
                  ErrorKind::Failed, "index 3 of element 0 is outside"),
      expectError("one_hot_float_indices", K::OneHot, {f32({1}, {0})}, depth(3),
                  ErrorKind::BadInput,
                  "one_hot: indices must be i32 or i64, not f32[1]"),
      expectError("one_hot_zero_depth", K::OneHot, {i64({1}, {0})}, depth(0),
                  ErrorKind::BadInput, "one_hot: 'depth' must be positive"),
  };
}

} // namespace

std::vector<OpCase> shapeCases() {
  std::vector<OpCase> out = layout();
  for (auto family : {slices, joins, gathers, oneHots})
    for (OpCase &c : family())
      out.push_back(std::move(c));
  return out;
}

} // namespace adjoint::test
