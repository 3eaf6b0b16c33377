//===- InterpreterCasesScan.cpp - Semantics cases of scan -----------------===//
#include "InterpreterCases.h"

#include "ir/Builder.h"

#include <functional>

namespace adjoint::test {

namespace {

using K = OpKind;

/// A body named "step" with inputs of `types`, the first the state, whose
/// output `make` builds from them.
SubGraph
body(std::vector<TensorType> types,
     const std::function<Value *(Builder &, const std::vector<Value *> &)>
         &make) {
  auto g = std::make_shared<Graph>("step");
  Builder b(*g);
  std::vector<Value *> in;
  const char *names[] = {"h", "x", "y", "w"};
  for (size_t i = 0; i < types.size(); ++i)
    in.push_back(b.input(names[i], types[i]));
  b.output("next", make(b, in));
  return g;
}

Attributes scanAttrs(SubGraph g, int64_t sequences = 1, bool reverse = false) {
  Attributes a = attrs({{"body", std::move(g)}});
  if (sequences != 1)
    a.set("sequences", sequences);
  if (reverse)
    a.set("reverse", true);
  return a;
}

/// next = h + x.
SubGraph runningSum(TensorType state) {
  return body({state, state},
              [](Builder &b, const auto &in) { return b.add(in[0], in[1]); });
}

} // namespace

std::vector<OpCase> scanCases() {
  TensorType f2{DType::F32, {2}};
  Tensor xs = f32({3, 2}, {1, 2, 3, 4, 5, 6});
  std::vector<OpCase> cases = {
      expect("scan_running_sum", K::Scan, {f32({2}, {0, 0}), xs},
             f32({3, 2}, {1, 2, 4, 6, 9, 12}), scanAttrs(runningSum(f2))),
      // In reverse the steps run from the last slice; row t is still the
      // state after the step that read slice t.
      expect("scan_reverse", K::Scan, {f32({2}, {0, 0}), xs},
             f32({3, 2}, {9, 12, 8, 10, 5, 6}),
             scanAttrs(runningSum(f2), 1, true)),
      expect("scan_initial_state", K::Scan, {f32({2}, {10, 20}), xs},
             f32({3, 2}, {11, 22, 14, 26, 19, 32}), scanAttrs(runningSum(f2))),
      // next = h * w + x with an invariant w: 1*2+1, 3*2+2, 8*2+3.
      expect(
          "scan_invariant", K::Scan,
          {i64({}, {1}), i64({3}, {1, 2, 3}), i64({}, {2})},
          i64({3}, {3, 8, 19}),
          scanAttrs(body({{DType::I64, {}}, {DType::I64, {}}, {DType::I64, {}}},
                         [](Builder &b, const auto &in) {
                           return b.add(b.mul(in[0], in[2]), in[1]);
                         }))),
      // Two sequences: next = h + x * y.
      expect(
          "scan_two_sequences", K::Scan,
          {f64({}, {0}), f64({2}, {1, 2}), f64({2}, {3, 4})}, f64({2}, {3, 11}),
          scanAttrs(body({{DType::F64, {}}, {DType::F64, {}}, {DType::F64, {}}},
                         [](Builder &b, const auto &in) {
                           return b.add(in[0], b.mul(in[1], in[2]));
                         }),
                    2)),
      // A state of a matrix: each step multiplies by the step's matrix.
      expect(
          "scan_matrix_state", K::Scan,
          {f32({2, 2}, {1, 0, 0, 1}), f32({2, 2, 2}, {0, 1, 1, 0, 2, 0, 0, 3})},
          f32({2, 2, 2}, {0, 1, 1, 0, 0, 3, 2, 0}),
          scanAttrs(body({{DType::F32, {2, 2}}, {DType::F32, {2, 2}}},
                         [](Builder &b, const auto &in) {
                           return b.matmul(in[0], in[1]);
                         }))),
      expectError("scan_next_state_type", K::Scan, {f32({2}, {0, 0}), xs},
                  scanAttrs(body({f2, f2},
                                 [](Builder &b, const auto &in) {
                                   return b.reduceSum(in[1], std::nullopt);
                                 })),
                  ErrorKind::BadInput,
                  "scan: body step gives a next state of type f32[] but the "
                  "state has type f32[2]"),
      expectError("scan_body_input_type", K::Scan, {f32({3}, {0, 0, 0}), xs},
                  scanAttrs(runningSum(f2)), ErrorKind::BadInput,
                  "scan: body input %h has type f32[2] but the initial state "
                  "has type f32[3]"),
      expectError("scan_body_input_count", K::Scan,
                  {f32({2}, {0, 0}), xs, f32({2}, {1, 1})},
                  scanAttrs(runningSum(f2)), ErrorKind::BadInput,
                  "scan: body step takes 2 inputs but the scan has 3 operands"),
      expectError(
          "scan_lengths_differ", K::Scan,
          {f64({}, {0}), f64({2}, {1, 2}), f64({3}, {3, 4, 5})},
          scanAttrs(body({{DType::F64, {}}, {DType::F64, {}}, {DType::F64, {}}},
                         [](Builder &b, const auto &in) { return in[1]; }),
                    2),
          ErrorKind::BadInput,
          "scan: the sequences differ in length (f64[2] and f64[3])"),
      expectError("scan_no_sequence", K::Scan, {f32({2}, {0, 0}), xs},
                  scanAttrs(runningSum(f2), 0), ErrorKind::BadInput,
                  "'sequences' is 0 but must be from 1 to 1"),
      expectError(
          "scan_scalar_sequence", K::Scan, {f32({}, {0}), f32({}, {1})},
          scanAttrs(body({{DType::F32, {}}, {DType::F32, {}}},
                         [](Builder &b, const auto &in) { return in[1]; })),
          ErrorKind::BadInput, "sequence operand 1 is a scalar"),
      expectError("scan_no_steps", K::Scan, {f32({2}, {0, 0}), f32({0, 2}, {})},
                  scanAttrs(runningSum(f2)), ErrorKind::BadInput,
                  "has no steps"),
  };
  // The body may keep any dtype: here it keeps the last slice.
  for (DType t : {DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool,
                  DType::U8}) {
    TensorType one{t, {1}};
    Tensor init = counting(t, {1}, 0), seq = counting(t, {2, 1}, 1);
    cases.push_back(expect(
        "scan_keeps_last_" + std::string(dtypeName(t)), K::Scan, {init, seq},
        seq, scanAttrs(body({one, one}, [](Builder &, const auto &in) {
          return in[1];
        }))));
  }
  return cases;
}

} // namespace adjoint::test
