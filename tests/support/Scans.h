//===- Scans.h - Building scans in tests ------------------------*- C++ -*-===//
#pragma once

#include "ir/Builder.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace adjoint::testing {

/// A scan over `operands` (the state, `sequences` sequences, then
/// invariants) whose body `step` builds from one step's inputs (named in0,
/// in1, ...).
inline Value *
scanOf(Builder &b, std::vector<Value *> operands, int64_t sequences,
       bool reverse,
       const std::function<Value *(Builder &, std::vector<Value *>)> &step) {
  auto body = std::make_shared<Graph>("step");
  Builder bb(*body);
  std::vector<Value *> in;
  for (size_t i = 0; i < operands.size(); ++i) {
    TensorType t = operands[i]->type();
    if (i >= 1 && i <= (size_t)sequences)
      t.shape.erase(t.shape.begin());
    in.push_back(bb.input("in" + std::to_string(i), t));
  }
  bb.output("next", step(bb, in));
  Attributes a;
  a.set("body", SubGraph(body));
  a.set("sequences", sequences);
  a.set("reverse", reverse);
  return b.op(OpKind::Scan, operands, a);
}

} // namespace adjoint::testing
