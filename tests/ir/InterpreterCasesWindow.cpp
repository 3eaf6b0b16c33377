//===- InterpreterCasesWindow.cpp - matmul, attention, conv2d, pooling ----===//
#include "InterpreterCases.h"

namespace adjoint::test {

namespace {

std::vector<OpCase> matmuls() {
  using K = OpKind;
  Tensor a23 = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b32 = f32({3, 2}, {7, 8, 9, 10, 11, 12});
  return {
      expect("matmul_2x3_3x2", K::MatMul, {a23, b32},
             f32({2, 2}, {58, 64, 139, 154})),
      expect("matmul_vector_vector", K::MatMul,
             {f32({3}, {1, 2, 3}), f32({3}, {4, 5, 6})}, f32({}, {32})),
      expect("matmul_matrix_vector", K::MatMul, {a23, f32({3}, {1, 0, -1})},
             f32({2}, {-2, -2})),
      expect("matmul_vector_matrix", K::MatMul, {f32({2}, {1, -1}), a23},
             f32({3}, {-3, -3, -3})),
      expect("matmul_batch_broadcast", K::MatMul,
             {f64({2, 1, 2}, {1, 2, 3, 4}), f64({2, 2}, {1, 0, 0, 10})},
             f64({2, 1, 2}, {1, 20, 3, 40})),
      expect(
          "matmul_batch_broadcast_both", K::MatMul,
          {f64({2, 1, 1, 2}, {1, 2, 3, 4}), f64({3, 2, 1}, {1, 0, 0, 1, 1, 1})},
          f64({2, 3, 1, 1}, {1, 2, 3, 3, 4, 7})),
      expect("matmul_batched_vector", K::MatMul,
             {f32({2}, {1, 2}), f32({2, 2, 1}, {1, 1, 2, 3})},
             f32({2, 1}, {3, 8})),
      expect("matmul_empty_contraction_is_zero", K::MatMul,
             {f32({2, 0}, {}), f32({0, 3}, {})},
             f32({2, 3}, {0, 0, 0, 0, 0, 0})),
      expect("matmul_empty_rows", K::MatMul, {f32({0, 3}, {}), b32},
             f32({0, 2}, {})),
      expect("matmul_empty_batch", K::MatMul, {f32({0, 2, 3}, {}), b32},
             f32({0, 2, 2}, {})),
      // f32 dot products accumulate in f64.
      expect("matmul_f32_accumulates_in_f64", K::MatMul,
             {f32({1, 4}, {1e8f, 1, -1e8f, 1}), f32({4, 1}, {1, 1, 1, 1})},
             f32({1, 1}, {2})),
      expect("matmul_f32_nan", K::MatMul,
             {f32({2, 2}, {kNaNf, 0, 1, 1}), f32({2, 1}, {1, kInff})},
             f32({2, 1}, {kNaNf, kInff})),
      expect("matmul_i32_wraps", K::MatMul,
             {i32({1, 2}, {65536, 65536}), i32({2, 1}, {65536, 1})},
             i32({1, 1}, {65536})),
      expect("matmul_i64", K::MatMul,
             {i64({2, 2}, {1, 2, 3, 4}), i64({2}, {kI64Max, 1})},
             i64({2}, {kI64Min + 1, kI64Min + 1})), // both wrap
      expect("matmul_u8_wraps", K::MatMul,
             {u8({1, 2}, {16, 1}), u8({2, 1}, {16, 4})}, u8({1, 1}, {4})),
  };
}

std::vector<OpCase> attentions() {
  using K = OpKind;
  Tensor q = f32({2, 1}, {1, 0}), k = f32({2, 1}, {0, 5}),
         v = f32({2, 1}, {4, 8});
  return {
      // Query 0 scores (0, ln 3): weights 1/4, 3/4; query 1 scores (0, 0).
      expect("attention_weights", K::Attention,
             {q, f32({2, 1}, {0, 1.0986123f}), v}, f32({2, 1}, {7, 6}),
             attrs({{"scale", 1.0}})),
      // Query 0 sees key 0 only; query 1 both, with equal scores.
      expect("attention_causal", K::Attention, {q, k, v}, f32({2, 1}, {4, 6}),
             attrs({{"scale", 1.0}, {"causal", true}})),
      // Two heads; the scale multiplies the scores (here to equal ones).
      expect("attention_heads_f64", K::Attention,
             {f64({1, 2, 2, 1}, {1, 0, 2, 2}), f64({1, 2, 2, 1}, {0, 5, 1, 1}),
              f64({1, 2, 2, 1}, {4, 8, 1, 3})},
             f64({1, 2, 2, 1}, {6, 6, 2, 2}), attrs({{"scale", 0.0}})),
      expectError("attention_depths_differ", K::Attention,
                  {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({2, 2}, {1, 2, 3, 4}),
                   f32({2, 2}, {1, 2, 3, 4})},
                  attrs({{"scale", 1.0}}), ErrorKind::BadInput, "one depth"),
      expectError("attention_keys_differ", K::Attention,
                  {f32({1, 2}, {1, 2}), f32({2, 2}, {1, 2, 3, 4}),
                   f32({3, 1}, {1, 2, 3})},
                  attrs({{"scale", 1.0}}), ErrorKind::BadInput,
                  "one number of keys"),
      expectError("attention_integers", K::Attention,
                  {i32({1, 1}, {1}), i32({1, 1}, {1}), i32({1, 1}, {1})},
                  attrs({{"scale", 1.0}}), ErrorKind::BadInput, "attention"),
  };
}

Attributes convAttrs(Ints strides, Ints pads, Ints dilations, int64_t groups) {
  return attrs({{"strides", std::move(strides)},
                {"pads", std::move(pads)},
                {"dilations", std::move(dilations)},
                {"groups", groups}});
}

std::vector<OpCase> convs() {
  using K = OpKind;
  Tensor x33 = counting(DType::F32, {1, 1, 3, 3}); // 1..9
  Tensor x22 = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor x2c = f32({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40});
  return {
      // out[y,x] = x[y,x] + x[y+1,x+1].
      expect("conv2d_basic", K::Conv2D, {x33, f32({1, 1, 2, 2}, {1, 0, 0, 1})},
             f32({1, 1, 2, 2}, {6, 8, 12, 14})),
      // Cross-correlation: a flipped kernel would give 20.
      expect("conv2d_no_flip", K::Conv2D,
             {x22, f32({1, 1, 2, 2}, {1, 2, 3, 4})}, f32({1, 1, 1, 1}, {30})),
      // Top padding only: the first window sees a zero row, then x's row 0.
      expect("conv2d_asymmetric_pad", K::Conv2D,
             {x22, f32({1, 1, 2, 2}, {1, 2, 3, 4})},
             f32({1, 1, 2, 1}, {11, 30}),
             convAttrs({1, 1}, {1, 0, 0, 0}, {1, 1}, 1)),
      expect("conv2d_stride", K::Conv2D, {x33, f32({1, 1, 1, 1}, {2})},
             f32({1, 1, 2, 2}, {2, 6, 14, 18}),
             convAttrs({2, 2}, {0, 0, 0, 0}, {1, 1}, 1)),
      expect("conv2d_dilation", K::Conv2D,
             {x33, f32({1, 1, 2, 2}, {1, 1, 1, 1})}, f32({1, 1, 1, 1}, {20}),
             convAttrs({1, 1}, {0, 0, 0, 0}, {2, 2}, 1)),
      // pads, strides and dilations together: each output is x[r,c] -
      // x[r+2,c+2] for r = 2y - 1, c = 2x - 1, where x[i,j] = 4i + j + 1
      // and is 0 outside the image.
      expect("conv2d_pad_stride_dilation", K::Conv2D,
             {counting(DType::F64, {1, 1, 4, 4}),
              f64({1, 1, 2, 2}, {1, 0, 0, -1})},
             f64({1, 1, 2, 2}, {-6, -8, -14, 6 - 16}),
             convAttrs({2, 2}, {1, 1, 1, 1}, {2, 2}, 1)),
      expect("conv2d_channels", K::Conv2D,
             {x2c, f32({2, 2, 1, 1}, {1, 1, 1, -1})},
             f32({1, 2, 2, 2}, {11, 22, 33, 44, -9, -18, -27, -36})),
      expect("conv2d_groups", K::Conv2D, {x2c, f32({2, 1, 1, 1}, {2, 3})},
             f32({1, 2, 2, 2}, {2, 4, 6, 8, 30, 60, 90, 120}),
             convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 2)),
      expect(
          "conv2d_batch", K::Conv2D,
          {counting(DType::F32, {2, 1, 2, 2}), f32({1, 1, 2, 2}, {1, 1, 1, 1})},
          f32({2, 1, 1, 1}, {10, 26})),
      expect("conv2d_same_padding", K::Conv2D,
             {x22, f32({1, 1, 3, 3}, {0, 0, 0, 0, 1, 0, 0, 0, 1})},
             f32({1, 1, 2, 2}, {1 + 4, 2, 3, 4}),
             convAttrs({1, 1}, {1, 1, 1, 1}, {1, 1}, 1)),
      expect("conv2d_f32_accumulates_in_f64", K::Conv2D,
             {f32({1, 1, 1, 4}, {1e8f, 1, -1e8f, 1}),
              f32({1, 1, 1, 4}, {1, 1, 1, 1})},
             f32({1, 1, 1, 1}, {2})),
      expect("conv2d_nan_stays_in_its_window", K::Conv2D,
             {f32({1, 1, 1, 3}, {kNaNf, 1, 2}), f32({1, 1, 1, 2}, {1, 1})},
             f32({1, 1, 1, 2}, {kNaNf, 3})),
      expect("conv2d_zero_channels", K::Conv2D,
             {f32({1, 0, 2, 2}, {}), f32({2, 0, 1, 1}, {})},
             f32({1, 2, 2, 2}, {0, 0, 0, 0, 0, 0, 0, 0})),
      expect("conv2d_empty_batch", K::Conv2D,
             {f32({0, 1, 2, 2}, {}), f32({3, 1, 1, 1}, {1, 2, 3})},
             f32({0, 3, 2, 2}, {})),
  };
}

Attributes poolAttrs(Ints kernel, Ints strides = {1, 1},
                     Ints pads = {0, 0, 0, 0}, bool includePad = false) {
  Attributes a = attrs({{"kernel", std::move(kernel)},
                        {"strides", std::move(strides)},
                        {"pads", std::move(pads)}});
  if (includePad)
    a.set("count_include_pad", true);
  return a;
}

std::vector<OpCase> pools() {
  using K = OpKind;
  Tensor x44 = counting(DType::F32, {1, 1, 4, 4}); // 1..16
  Tensor x22 = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  return {
      expect("max_pool2d_2x2_stride2", K::MaxPool2D, {x44},
             f32({1, 1, 2, 2}, {6, 8, 14, 16}), poolAttrs({2, 2}, {2, 2})),
      // Padding never wins, even against negative numbers.
      expect("max_pool2d_padding_never_wins", K::MaxPool2D,
             {f32({1, 1, 2, 2}, {-1, -2, -3, -4})},
             f32({1, 1, 3, 3}, {-1, -1, -2, -1, -1, -2, -3, -3, -4}),
             poolAttrs({2, 2}, {1, 1}, {1, 1, 1, 1})),
      expect("max_pool2d_nan_propagates", K::MaxPool2D,
             {f32({1, 1, 2, 2}, {kNaNf, 1, 2, 3})},
             f32({1, 1, 2, 1}, {kNaNf, 3}), poolAttrs({1, 2})),
      expect("max_pool2d_channels_stride", K::MaxPool2D,
             {counting(DType::F64, {1, 2, 2, 2})}, f64({1, 2, 1, 1}, {1, 5}),
             poolAttrs({1, 1}, {2, 2})),
      expect("max_pool2d_i32", K::MaxPool2D,
             {i32({1, 1, 2, 2}, {kI32Min, -5, 7, 3})}, i32({1, 1, 1, 1}, {7}),
             poolAttrs({2, 2})),
      expect("max_pool2d_i64", K::MaxPool2D,
             {i64({1, 1, 1, 2}, {kI64Min, kI64Min})},
             i64({1, 1, 1, 1}, {kI64Min}), poolAttrs({1, 2})),
      expect("max_pool2d_u8", K::MaxPool2D, {u8({1, 1, 1, 3}, {0, 255, 7})},
             u8({1, 1, 1, 2}, {255, 255}), poolAttrs({1, 2})),
      expect("max_pool2d_empty_batch", K::MaxPool2D, {f32({0, 1, 2, 2}, {})},
             f32({0, 1, 1, 1}, {}), poolAttrs({2, 2})),

      expect("avg_pool2d_basic", K::AvgPool2D, {x22}, f32({1, 1, 1, 1}, {2.5f}),
             poolAttrs({2, 2})),
      // Without count_include_pad, each window divides by its in-image count.
      expect("avg_pool2d_pad_excluded", K::AvgPool2D, {x22},
             f32({1, 1, 3, 3}, {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4}),
             poolAttrs({2, 2}, {1, 1}, {1, 1, 1, 1})),
      expect("avg_pool2d_pad_included", K::AvgPool2D, {x22},
             f32({1, 1, 3, 3},
                 {0.25f, 0.75f, 0.5f, 1, 2.5f, 1.5f, 0.75f, 1.75f, 1}),
             poolAttrs({2, 2}, {1, 1}, {1, 1, 1, 1}, true)),
      expect("avg_pool2d_stride", K::AvgPool2D, {x44},
             f32({1, 1, 2, 2}, {3.5f, 5.5f, 11.5f, 13.5f}),
             poolAttrs({2, 2}, {2, 2})),
      expect("avg_pool2d_f64", K::AvgPool2D, {f64({1, 1, 1, 3}, {1, 2, 4})},
             f64({1, 1, 1, 1}, {7.0 / 3.0}), poolAttrs({1, 3})),
      expect("avg_pool2d_f32_accumulates_in_f64", K::AvgPool2D,
             {f32({1, 1, 1, 4}, {1e8f, 1, -1e8f, 1})},
             f32({1, 1, 1, 1}, {0.5f}), poolAttrs({1, 4})),
      expect("avg_pool2d_nan", K::AvgPool2D, {f32({1, 1, 1, 2}, {kNaNf, 1})},
             f32({1, 1, 1, 1}, {kNaNf}), poolAttrs({1, 2})),
  };
}

} // namespace

std::vector<OpCase> contractionCases() {
  std::vector<OpCase> out = matmuls();
  for (auto family : {attentions, convs, pools})
    for (OpCase &c : family())
      out.push_back(std::move(c));
  return out;
}

} // namespace adjoint::test
