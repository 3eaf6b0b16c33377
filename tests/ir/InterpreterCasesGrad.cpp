//===- InterpreterCasesGrad.cpp - The gradient ops ------------------------===//
//
// Each conv and pool case reuses a forward case of InterpreterCasesWindow.cpp
// where it can, so that <dy, forward(x)> = <gradient(dy), x> can be checked
// by hand from the two (the comments give the sums).
//
//===----------------------------------------------------------------------===//
#include "InterpreterCases.h"

namespace adjoint::test {

namespace {

std::vector<OpCase> stopGradients() {
  using K = OpKind;
  return {
      expect("stop_gradient_f32", K::StopGradient,
             {f32({4}, {1.5f, -0.0f, kNaNf, -kInff})},
             f32({4}, {1.5f, -0.0f, kNaNf, -kInff})),
      expect("stop_gradient_f64", K::StopGradient, {f64({2, 1}, {1e300, -2})},
             f64({2, 1}, {1e300, -2})),
      expect("stop_gradient_i32", K::StopGradient, {i32({2}, {kI32Min, 7})},
             i32({2}, {kI32Min, 7})),
      expect("stop_gradient_i64", K::StopGradient, {i64({}, {kI64Max})},
             i64({}, {kI64Max})),
      expect("stop_gradient_u8", K::StopGradient, {u8({3}, {0, 255, 9})},
             u8({3}, {0, 255, 9})),
      expect("stop_gradient_bool", K::StopGradient, {boolean({2}, {1, 0})},
             boolean({2}, {1, 0})),
      expect("stop_gradient_empty", K::StopGradient, {f32({0, 3}, {})},
             f32({0, 3}, {})),
  };
}

Attributes convGradAttrs(std::string shapeAttr, Ints shape,
                         Ints strides = {1, 1}, Ints pads = {0, 0, 0, 0},
                         Ints dilations = {1, 1}, int64_t groups = 1) {
  return attrs({{std::move(shapeAttr), std::move(shape)},
                {"strides", std::move(strides)},
                {"pads", std::move(pads)},
                {"dilations", std::move(dilations)},
                {"groups", groups}});
}

Attributes inputShape(Ints shape, Ints strides = {1, 1},
                      Ints pads = {0, 0, 0, 0}, Ints dilations = {1, 1},
                      int64_t groups = 1) {
  return convGradAttrs("input_shape", std::move(shape), std::move(strides),
                       std::move(pads), std::move(dilations), groups);
}

Attributes kernel(Ints k, Ints strides = {1, 1}, Ints pads = {0, 0, 0, 0},
                  Ints dilations = {1, 1}, int64_t groups = 1) {
  return convGradAttrs("kernel", std::move(k), std::move(strides),
                       std::move(pads), std::move(dilations), groups);
}

std::vector<OpCase> convInputGrads() {
  using K = OpKind;
  Tensor ones22 = f32({1, 1, 2, 2}, {1, 1, 1, 1});
  return {
      // Every window's dy times w lands on the window's input positions:
      // overlapping windows add (the centre is in all four).
      expect("conv2d_input_grad_overlap", K::Conv2DInputGrad,
             {ones22, f32({1, 1, 2, 2}, {1, 2, 3, 4})},
             f32({1, 1, 3, 3}, {1, 3, 2, 4, 10, 6, 3, 7, 4}),
             inputShape({1, 1, 3, 3})),
      // Stride 2 with a 1x1 kernel: the odd rows and columns are unread.
      expect("conv2d_input_grad_stride", K::Conv2DInputGrad,
             {f32({1, 1, 2, 2}, {1, 2, 3, 4}), f32({1, 1, 1, 1}, {2})},
             f32({1, 1, 3, 3}, {2, 0, 4, 0, 0, 0, 6, 0, 8}),
             inputShape({1, 1, 3, 3}, {2, 2})),
      // conv2d_asymmetric_pad: <dy, y> = 1*11 + 10*30 = 311 = <dx, x> for
      // x = [1,2,3,4]; weight row 0 of the first window meets only padding.
      expect("conv2d_input_grad_padding", K::Conv2DInputGrad,
             {f32({1, 1, 2, 1}, {1, 10}), f32({1, 1, 2, 2}, {1, 2, 3, 4})},
             f32({1, 1, 2, 2}, {13, 24, 30, 40}),
             inputShape({1, 1, 2, 2}, {1, 1}, {1, 0, 0, 0})),
      expect("conv2d_input_grad_dilation", K::Conv2DInputGrad,
             {f64({1, 1, 1, 1}, {5}), f64({1, 1, 2, 2}, {1, 1, 1, 1})},
             f64({1, 1, 3, 3}, {5, 0, 5, 0, 0, 0, 5, 0, 5}),
             inputShape({1, 1, 3, 3}, {1, 1}, {0, 0, 0, 0}, {2, 2})),
      expect("conv2d_input_grad_channels", K::Conv2DInputGrad,
             {f32({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40}),
              f32({2, 2, 1, 1}, {1, 1, 1, -1})},
             f32({1, 2, 2, 2}, {11, 22, 33, 44, -9, -18, -27, -36}),
             inputShape({1, 2, 2, 2})),
      expect("conv2d_input_grad_groups", K::Conv2DInputGrad,
             {counting(DType::F64, {1, 2, 2, 2}), f64({2, 1, 1, 1}, {2, 3})},
             f64({1, 2, 2, 2}, {2, 4, 6, 8, 15, 18, 21, 24}),
             inputShape({1, 2, 2, 2}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 2)),
      expect("conv2d_input_grad_f32_accumulates_in_f64", K::Conv2DInputGrad,
             {f32({1, 4, 1, 1}, {1e8f, 1, -1e8f, 1}),
              f32({4, 1, 1, 1}, {1, 1, 1, 1})},
             f32({1, 1, 1, 1}, {2}), inputShape({1, 1, 1, 1})),
      expect("conv2d_input_grad_no_output_channels", K::Conv2DInputGrad,
             {f32({1, 0, 2, 2}, {}), f32({0, 1, 1, 1}, {})},
             f32({1, 1, 2, 2}, {0, 0, 0, 0}), inputShape({1, 1, 2, 2})),
      expect("conv2d_input_grad_empty_batch", K::Conv2DInputGrad,
             {f32({0, 3, 1, 1}, {}), f32({3, 1, 2, 2}, std::vector<float>(12))},
             f32({0, 1, 2, 2}, {}), inputShape({0, 1, 2, 2})),
      expectError("conv2d_input_grad_dy_shape", K::Conv2DInputGrad,
                  {f32({1, 1, 3, 3}, std::vector<float>(9)), ones22},
                  inputShape({1, 1, 3, 3}), ErrorKind::BadInput,
                  "conv2d_input_grad: dy has type f32[1,1,3,3] but conv2d of "
                  "an input of shape [1,1,3,3] with a weight of type "
                  "f32[1,1,2,2] gives [1,1,2,2]"),
      expectError("conv2d_input_grad_input_shape_rank", K::Conv2DInputGrad,
                  {ones22, ones22}, inputShape({1, 3, 3}), ErrorKind::BadInput,
                  "attribute 'input_shape' must have 4 values"),
      expectError("conv2d_input_grad_channels_differ", K::Conv2DInputGrad,
                  {ones22, ones22}, inputShape({1, 2, 3, 3}),
                  ErrorKind::BadInput, "weight has 1 input channels per group"),
      expectError("conv2d_input_grad_dtypes_differ", K::Conv2DInputGrad,
                  {ones22, f64({1, 1, 2, 2}, {1, 1, 1, 1})},
                  inputShape({1, 1, 3, 3}), ErrorKind::BadInput,
                  "operand dtypes differ"),
  };
}

std::vector<OpCase> convWeightGrads() {
  using K = OpKind;
  Tensor x33 = counting(DType::F32, {1, 1, 3, 3}); // 1..9
  Tensor ones22 = f32({1, 1, 2, 2}, {1, 1, 1, 1});
  return {
      // Each weight sums the inputs it meets in the four windows.
      expect("conv2d_weight_grad_basic", K::Conv2DWeightGrad, {x33, ones22},
             f32({1, 1, 2, 2}, {12, 16, 24, 28}), kernel({2, 2})),
      expect("conv2d_weight_grad_stride", K::Conv2DWeightGrad,
             {x33, f32({1, 1, 2, 2}, {1, 2, 3, 4})}, f32({1, 1, 1, 1}, {64}),
             kernel({1, 1}, {2, 2})),
      // conv2d_asymmetric_pad again: <dw, w> = 10 + 40 + 93 + 168 = 311.
      expect("conv2d_weight_grad_padding", K::Conv2DWeightGrad,
             {f32({1, 1, 2, 2}, {1, 2, 3, 4}), f32({1, 1, 2, 1}, {1, 10})},
             f32({1, 1, 2, 2}, {10, 20, 31, 42}),
             kernel({2, 2}, {1, 1}, {1, 0, 0, 0})),
      expect("conv2d_weight_grad_dilation", K::Conv2DWeightGrad,
             {x33, f32({1, 1, 1, 1}, {2})}, f32({1, 1, 2, 2}, {2, 6, 14, 18}),
             kernel({2, 2}, {1, 1}, {0, 0, 0, 0}, {2, 2})),
      expect("conv2d_weight_grad_groups", K::Conv2DWeightGrad,
             {f64({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40}),
              f64({1, 2, 2, 2}, {1, 0, 0, 1, 0, 1, 1, 0})},
             f64({2, 1, 1, 1}, {5, 50}),
             kernel({1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 2)),
      // The images' contributions add.
      expect("conv2d_weight_grad_batch", K::Conv2DWeightGrad,
             {counting(DType::F32, {2, 1, 2, 2}), f32({2, 1, 1, 1}, {1, 2})},
             f32({1, 1, 2, 2}, {11, 14, 17, 20}), kernel({2, 2})),
      expect("conv2d_weight_grad_f32_accumulates_in_f64", K::Conv2DWeightGrad,
             {f32({1, 1, 1, 4}, {1e8f, 1, -1e8f, 1}),
              f32({1, 1, 1, 4}, {1, 1, 1, 1})},
             f32({1, 1, 1, 1}, {2}), kernel({1, 1})),
      expect("conv2d_weight_grad_empty_batch", K::Conv2DWeightGrad,
             {f32({0, 1, 2, 2}, {}), f32({0, 3, 1, 1}, {})},
             f32({3, 1, 2, 2}, std::vector<float>(12)), kernel({2, 2})),
      expect("conv2d_weight_grad_zero_channels", K::Conv2DWeightGrad,
             {f32({1, 0, 2, 2}, {}), f32({1, 2, 1, 1}, {0, 0})},
             f32({2, 0, 2, 2}, {}), kernel({2, 2})),
      expectError("conv2d_weight_grad_dy_shape", K::Conv2DWeightGrad,
                  {x33, f32({1, 1, 3, 3}, std::vector<float>(9))},
                  kernel({2, 2}), ErrorKind::BadInput,
                  "conv2d_weight_grad: dy has type f32[1,1,3,3] but conv2d of "
                  "f32[1,1,3,3] with a weight of shape [1,1,2,2] gives "
                  "[1,1,2,2]"),
      expectError("conv2d_weight_grad_kernel_length", K::Conv2DWeightGrad,
                  {x33, ones22}, kernel({2}), ErrorKind::BadInput,
                  "attribute 'kernel' must have 2 values"),
      expectError("conv2d_weight_grad_groups_divide", K::Conv2DWeightGrad,
                  {f32({1, 2, 2, 2}, std::vector<float>(8)),
                   f32({1, 3, 2, 2}, std::vector<float>(12))},
                  kernel({1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 2),
                  ErrorKind::BadInput, "groups 2 must be positive and divide"),
      expectError("conv2d_weight_grad_integers", K::Conv2DWeightGrad,
                  {i32({1, 1, 2, 2}, {1, 2, 3, 4}), i32({1, 1, 1, 1}, {1})},
                  kernel({2, 2}), ErrorKind::BadInput, "a float type"),
  };
}

Attributes pool(Ints k, Ints strides = {1, 1}, Ints pads = {0, 0, 0, 0}) {
  return attrs({{"kernel", std::move(k)},
                {"strides", std::move(strides)},
                {"pads", std::move(pads)}});
}

Attributes avgPool(Ints shape, Ints k, Ints strides = {1, 1},
                   Ints pads = {0, 0, 0, 0}, bool includePad = false) {
  Attributes a = pool(std::move(k), std::move(strides), std::move(pads));
  a.set("input_shape", std::move(shape));
  if (includePad)
    a.set("count_include_pad", true);
  return a;
}

std::vector<OpCase> maxPoolGrads() {
  using K = OpKind;
  Tensor x44 = counting(DType::F32, {1, 1, 4, 4}); // 1..16
  return {
      // Each window's maximum (6, 8, 14, 16) takes its dy.
      expect(
          "max_pool2d_grad_2x2_stride2", K::MaxPool2DGrad,
          {x44, f32({1, 1, 2, 2}, {1, 2, 3, 4})},
          f32({1, 1, 4, 4}, {0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4}),
          pool({2, 2}, {2, 2})),
      // The first two windows share their maximum: their dy add.
      expect("max_pool2d_grad_overlap", K::MaxPool2DGrad,
             {f32({1, 1, 1, 4}, {1, 3, 2, 0}), f32({1, 1, 1, 3}, {1, 10, 100})},
             f32({1, 1, 1, 4}, {0, 11, 100, 0}), pool({1, 2})),
      expect("max_pool2d_grad_first_of_ties", K::MaxPool2DGrad,
             {f32({1, 1, 2, 2}, {1, 5, 5, 5}), f32({1, 1, 1, 1}, {7})},
             f32({1, 1, 2, 2}, {0, 7, 0, 0}), pool({2, 2})),
      expect("max_pool2d_grad_first_nan", K::MaxPool2DGrad,
             {f32({1, 1, 1, 4}, {1, kNaNf, kNaNf, 9}), f32({1, 1, 1, 1}, {3})},
             f32({1, 1, 1, 4}, {0, 3, 0, 0}), pool({1, 4})),
      expect("max_pool2d_grad_nan_first", K::MaxPool2DGrad,
             {f32({1, 1, 1, 2}, {kNaNf, 2}), f32({1, 1, 1, 1}, {3})},
             f32({1, 1, 1, 2}, {3, 0}), pool({1, 2})),
      // max_pool2d_padding_never_wins: x00 is the maximum of four windows.
      expect("max_pool2d_grad_padding_never_wins", K::MaxPool2DGrad,
             {f32({1, 1, 2, 2}, {-1, -2, -3, -4}),
              f32({1, 1, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1})},
             f32({1, 1, 2, 2}, {4, 2, 2, 1}),
             pool({2, 2}, {1, 1}, {1, 1, 1, 1})),
      expect("max_pool2d_grad_channels_f64", K::MaxPool2DGrad,
             {counting(DType::F64, {1, 2, 2, 2}), f64({1, 2, 1, 1}, {2, 3})},
             f64({1, 2, 2, 2}, {2, 0, 0, 0, 3, 0, 0, 0}), pool({1, 1}, {2, 2})),
      // Four windows, each holding only x[0] (the rest is padding).
      expect("max_pool2d_grad_f32_accumulates_in_f64", K::MaxPool2DGrad,
             {f32({1, 1, 1, 1}, {9}), f32({1, 1, 1, 4}, {1e8f, 1, -1e8f, 1})},
             f32({1, 1, 1, 1}, {2}), pool({1, 4}, {1, 1}, {0, 3, 0, 3})),
      expect("max_pool2d_grad_empty_batch", K::MaxPool2DGrad,
             {f32({0, 1, 2, 2}, {}), f32({0, 1, 1, 1}, {})},
             f32({0, 1, 2, 2}, {}), pool({2, 2})),
      expectError("max_pool2d_grad_dy_shape", K::MaxPool2DGrad,
                  {x44, f32({1, 1, 3, 3}, std::vector<float>(9))},
                  pool({2, 2}, {2, 2}), ErrorKind::BadInput,
                  "max_pool2d_grad: dy has type f32[1,1,3,3] but max_pool2d "
                  "of f32[1,1,4,4] gives [1,1,2,2]"),
      expectError("max_pool2d_grad_integers", K::MaxPool2DGrad,
                  {i32({1, 1, 1, 1}, {1}), i32({1, 1, 1, 1}, {1})},
                  pool({1, 1}), ErrorKind::BadInput, "a float type"),
  };
}

std::vector<OpCase> avgPoolGrads() {
  using K = OpKind;
  Tensor dy9 = counting(DType::F32, {1, 1, 3, 3}); // 1..9
  return {
      expect("avg_pool2d_grad_basic", K::AvgPool2DGrad,
             {f32({1, 1, 1, 1}, {4})}, f32({1, 1, 2, 2}, {1, 1, 1, 1}),
             avgPool({1, 1, 2, 2}, {2, 2})),
      // avg_pool2d_pad_excluded: windows of 1, 2 and 4 elements overlap;
      // <dy, y> = 133.5 = <dx, [1,2,3,4]>.
      expect("avg_pool2d_grad_pad_excluded", K::AvgPool2DGrad, {dy9},
             f32({1, 1, 2, 2}, {5.25f, 8.25f, 14.25f, 17.25f}),
             avgPool({1, 1, 2, 2}, {2, 2}, {1, 1}, {1, 1, 1, 1})),
      // avg_pool2d_pad_included: every window divides by 4; <dy, y> = 57.
      expect("avg_pool2d_grad_pad_included", K::AvgPool2DGrad, {dy9},
             f32({1, 1, 2, 2}, {3, 4, 6, 7}),
             avgPool({1, 1, 2, 2}, {2, 2}, {1, 1}, {1, 1, 1, 1}, true)),
      // Stride 2 leaves the last column unread.
      expect("avg_pool2d_grad_stride_f64", K::AvgPool2DGrad,
             {f64({1, 1, 1, 2}, {2, 4})}, f64({1, 1, 1, 5}, {1, 1, 2, 2, 0}),
             avgPool({1, 1, 1, 5}, {1, 2}, {1, 2})),
      expect("avg_pool2d_grad_thirds", K::AvgPool2DGrad,
             {f64({1, 1, 1, 1}, {1})},
             f64({1, 1, 1, 3}, {1.0 / 3, 1.0 / 3, 1.0 / 3}),
             avgPool({1, 1, 1, 3}, {1, 3})),
      expect("avg_pool2d_grad_f32_accumulates_in_f64", K::AvgPool2DGrad,
             {f32({1, 1, 1, 4}, {1e8f, 1, -1e8f, 1})}, f32({1, 1, 1, 1}, {2}),
             avgPool({1, 1, 1, 1}, {1, 4}, {1, 1}, {0, 3, 0, 3})),
      expect("avg_pool2d_grad_nan", K::AvgPool2DGrad,
             {f32({1, 1, 1, 2}, {kNaNf, 1})}, f32({1, 1, 1, 2}, {kNaNf, 1}),
             avgPool({1, 1, 1, 2}, {1, 1})),
      expect("avg_pool2d_grad_empty_batch", K::AvgPool2DGrad,
             {f32({0, 1, 1, 1}, {})}, f32({0, 1, 2, 2}, {}),
             avgPool({0, 1, 2, 2}, {2, 2})),
      expectError("avg_pool2d_grad_dy_shape", K::AvgPool2DGrad, {dy9},
                  avgPool({1, 1, 2, 2}, {2, 2}), ErrorKind::BadInput,
                  "avg_pool2d_grad: dy has type f32[1,1,3,3] but avg_pool2d "
                  "of an input of shape [1,1,2,2] gives [1,1,1,1]"),
      expectError("avg_pool2d_grad_empty_image", K::AvgPool2DGrad,
                  {f32({1, 1, 1, 1}, {1})}, avgPool({1, 1, 0, 2}, {1, 1}),
                  ErrorKind::BadInput, "has an empty spatial dimension"),
      expectError("avg_pool2d_grad_negative_shape", K::AvgPool2DGrad,
                  {f32({1, 1, 1, 1}, {1})}, avgPool({1, -1, 2, 2}, {2, 2}),
                  ErrorKind::BadInput,
                  "attribute 'input_shape' must not be negative"),
  };
}

Attributes scatter(Ints shape, int64_t axis = 0) {
  return attrs({{"shape", std::move(shape)}, {"axis", axis}});
}

std::vector<OpCase> scatterAdds() {
  using K = OpKind;
  return {
      // Rows 0 and 2 (written -1) are named twice: their updates add.
      expect("scatter_add_duplicates", K::ScatterAdd,
             {i64({4}, {0, 2, 0, -1}), f32({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8})},
             f32({3, 2}, {6, 8, 0, 0, 10, 12}), scatter({3, 2})),
      expect("scatter_add_axis1_i32_indices", K::ScatterAdd,
             {i32({2}, {2, -1}), f64({2, 2}, {1, 2, 3, 4})},
             f64({2, 3}, {0, 0, 3, 0, 0, 7}), scatter({2, 3}, 1)),
      expect("scatter_add_index_matrix", K::ScatterAdd,
             {i64({2, 2}, {1, 1, 3, -4}), f32({2, 2}, {1, 2, 3, 4})},
             f32({4}, {4, 3, 0, 3}), scatter({4})),
      expect("scatter_add_scalar_index", K::ScatterAdd,
             {i64({}, {1}), f32({2}, {5, 6})}, f32({3, 2}, {0, 0, 5, 6, 0, 0}),
             scatter({3, 2})),
      expect("scatter_add_negative_axis", K::ScatterAdd,
             {i64({3}, {0, 0, 1}), i64({2, 3}, {1, 2, 3, 4, 5, 6})},
             i64({2, 2}, {3, 3, 9, 6}), scatter({2, 2}, -1)),
      expect("scatter_add_i32_wraps", K::ScatterAdd,
             {i64({2}, {0, 0}), i32({2}, {kI32Max, 1})}, i32({1}, {kI32Min}),
             scatter({1})),
      expect("scatter_add_u8_wraps", K::ScatterAdd,
             {i32({2}, {0, 0}), u8({2}, {200, 100})}, u8({1}, {44}),
             scatter({1})),
      expect("scatter_add_f32_accumulates_in_f64", K::ScatterAdd,
             {i64({4}, {0, 0, 0, 0}), f32({4}, {1e8f, 1, -1e8f, 1})},
             f32({1}, {2}), scatter({1})),
      expect("scatter_add_nan", K::ScatterAdd,
             {i64({2}, {0, 0}), f32({2}, {kNaNf, 1})}, f32({2}, {kNaNf, 0}),
             scatter({2})),
      expect("scatter_add_no_indices", K::ScatterAdd,
             {i64({0}, {}), f32({0}, {})}, f32({3}, {0, 0, 0}), scatter({3})),
      expect("scatter_add_empty_rows", K::ScatterAdd,
             {i64({1}, {1}), f32({1, 0}, {})}, f32({2, 0}, {}),
             scatter({2, 0})),
      expectError("scatter_add_index_too_large", K::ScatterAdd,
                  {i64({2}, {0, 3}), f32({2}, {1, 2})}, scatter({3}),
                  ErrorKind::Failed,
                  "scatter_add: index 3 is out of range [-3, 3) for axis 0 of "
                  "f32[3]"),
      expectError("scatter_add_index_too_small", K::ScatterAdd,
                  {i32({1}, {-4}), f32({1, 2}, {1, 2})}, scatter({3, 2}),
                  ErrorKind::Failed, "index -4 is out of range [-3, 3)"),
      expectError("scatter_add_updates_shape", K::ScatterAdd,
                  {i64({2}, {0, 1}), f32({2, 3}, std::vector<float>(6))},
                  scatter({3, 2}), ErrorKind::BadInput,
                  "scatter_add: updates have type f32[2,3] but indices i64[2] "
                  "into axis 0 of shape [3,2] need updates of shape [2,2]"),
      expectError("scatter_add_float_indices", K::ScatterAdd,
                  {f32({1}, {0}), f32({1}, {1})}, scatter({2}),
                  ErrorKind::BadInput, "indices must be i32 or i64"),
      expectError("scatter_add_bool_updates", K::ScatterAdd,
                  {i64({1}, {0}), boolean({1}, {1})}, scatter({2}),
                  ErrorKind::BadInput, "updates must have a numeric type"),
      expectError("scatter_add_scalar_shape", K::ScatterAdd,
                  {i64({}, {0}), f32({}, {1})}, scatter({}),
                  ErrorKind::BadInput, "'shape' must have rank >= 1"),
      expectError("scatter_add_into_empty_axis", K::ScatterAdd,
                  {i64({1}, {0}), f32({1}, {1})}, scatter({0}),
                  ErrorKind::BadInput, "indices into an empty axis"),
      expectError("scatter_add_axis_out_of_range", K::ScatterAdd,
                  {i64({1}, {0}), f32({1}, {1})}, scatter({2}, 1),
                  ErrorKind::BadInput, "out of range"),
  };
}

} // namespace

std::vector<OpCase> gradientCases() {
  std::vector<OpCase> out;
  for (auto family : {stopGradients, convInputGrads, convWeightGrads,
                      maxPoolGrads, avgPoolGrads, scatterAdds})
    for (OpCase &c : family())
      out.push_back(std::move(c));
  return out;
}

} // namespace adjoint::test
