//===- InterpreterCasesRandom.cpp - Semantics cases of dropout ------------===//
//
// The masks are pinned: they are what the generator of ir/Random.h draws,
// so a change to it (which would change every trained model's masks) shows
// here.
//
//===----------------------------------------------------------------------===//
#include "InterpreterCases.h"

namespace adjoint::test {

namespace {

using K = OpKind;

Attributes dropoutAttrs(double rate, int64_t seed) {
  return attrs({{"rate", rate}, {"seed", seed}});
}

} // namespace

std::vector<OpCase> randomCases() {
  Tensor x = counting(DType::F32, {8});
  return {
      // seed 1, step 0: elements 1, 2, 4, 5, 7 kept, times 1 / (1 - 0.5).
      expect("dropout_half", K::Dropout, {x, i64({}, {0})},
             f32({8}, {0, 4, 6, 0, 10, 12, 0, 16}), dropoutAttrs(0.5, 1)),
      // The next step draws another mask.
      expect("dropout_next_step", K::Dropout, {x, i64({}, {1})},
             f32({8}, {2, 0, 6, 0, 10, 0, 14, 16}), dropoutAttrs(0.5, 1)),
      // Another seed, another mask; the shape does not change the draws
      // (each is of the element's flat index).
      expect("dropout_seed_f64_matrix", K::Dropout,
             {counting(DType::F64, {2, 4}), i64({}, {3})},
             f64({2, 4}, {2, 0, 6, 0, 0, 0, 14, 16}), dropoutAttrs(0.5, 7)),
      expect("dropout_rate_zero_is_identity", K::Dropout, {x, i64({}, {5})}, x,
             dropoutAttrs(0, 1)),
      // NaN is kept or dropped like any value.
      expect("dropout_nan", K::Dropout,
             {f32({2}, {kNaNf, kNaNf}), i64({}, {0})}, f32({2}, {0, kNaNf}),
             dropoutAttrs(0.5, 1)),
      expect("dropout_empty", K::Dropout, {f32({0, 3}, {}), i64({}, {0})},
             f32({0, 3}, {}), dropoutAttrs(0.5, 1)),
      expectError("dropout_rate_one", K::Dropout, {x, i64({}, {0})},
                  dropoutAttrs(1, 1), ErrorKind::BadInput,
                  "dropout: 'rate' is 1 but must be in [0, 1)"),
      expectError("dropout_negative_rate", K::Dropout, {x, i64({}, {0})},
                  dropoutAttrs(-0.1, 1), ErrorKind::BadInput,
                  "must be in [0, 1)"),
      expectError("dropout_step_type", K::Dropout, {x, f32({}, {0})},
                  dropoutAttrs(0.5, 1), ErrorKind::BadInput,
                  "dropout: the step must be an i64 scalar, not f32[]"),
      expectError("dropout_integer_x", K::Dropout,
                  {i32({2}, {1, 2}), i64({}, {0})}, dropoutAttrs(0.5, 1),
                  ErrorKind::BadInput, "dropout"),
  };
}

} // namespace adjoint::test
