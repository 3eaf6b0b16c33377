//===- Slabs.h - A tensor that is zero but on slabs of one axis -*- C++ -*-===//
//
// The gradient of slices of one axis, and a sum of zero pads of one axis,
// are a tensor that is zero except on a few slabs of that axis: one concat
// of the slabs, with zeros for the gaps between them. Autodiff builds it
// from the cotangents of slices (compiler/autodiff/Grad.cpp), the
// simplifier from a sum of pads (SimplifyAlgebra.cpp).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <algorithm>
#include <functional>
#include <vector>

namespace adjoint {

/// The range [first, last) of an axis, which `inside` fills.
template <typename V> struct Slab {
  int64_t first = 0, last = 0;
  V inside{};
};

/// Sorts `slabs` by where they start; false when two of them overlap.
template <typename V> bool sortDisjoint(std::vector<Slab<V>> &slabs) {
  std::sort(slabs.begin(), slabs.end(), [](const Slab<V> &x, const Slab<V> &y) {
    return x.first < y.first;
  });
  for (size_t i = 1; i < slabs.size(); ++i)
    if (slabs[i].first < slabs[i - 1].last)
      return false;
  return true;
}

/// The pieces, in order, of the concat along `axis` of a tensor of `type`
/// that is `piece(slab)` on each slab of `slabs` (sorted, disjoint) and
/// `zeros(the gap's type)` between them.
template <typename V>
std::vector<Value *>
slabPieces(const std::vector<Slab<V>> &slabs, const TensorType &type,
           size_t axis, const std::function<Value *(const TensorType &)> &zeros,
           const std::function<Value *(const Slab<V> &)> &piece) {
  std::vector<Value *> pieces;
  auto gap = [&](int64_t from, int64_t to) {
    if (from >= to)
      return;
    TensorType t = type;
    t.shape[axis] = to - from;
    pieces.push_back(zeros(t));
  };
  int64_t at = 0;
  for (const Slab<V> &slab : slabs) {
    gap(at, slab.first);
    pieces.push_back(piece(slab));
    at = slab.last;
  }
  gap(at, type.shape[axis]);
  return pieces;
}

} // namespace adjoint
