//===- RandomGraphGenerator.h - The generator behind randomModel -*- C++
//-*-===//
//
// Private to RandomGraph.cpp (sources, operands, most ops) and
// RandomGraphWindows.cpp (conv2d, pooling, their gradients, scatter_add and
// scan).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Builder.h"
#include "ir/Model.h"
#include "tests/support/RandomTensor.h"

#include <functional>
#include <string>
#include <vector>

namespace adjoint::testing::detail {

/// The dtypes an operand may have.
enum class Need { Float, Numeric, SignedNumeric, Bool, Any };

bool satisfies(DType t, Need need);

class Generator {
public:
  explicit Generator(uint64_t seed) : seed_(seed), rng_(seed), b_(m_.graph) {}
  Model run();

private:
  // Names, dtypes, shapes and data.
  std::string name(const char *stem, int oddOneIn);
  DType dtype(Need need);
  Shape shape(size_t minRank, size_t maxRank);
  Shape partnerShape(const Shape &s);
  Tensor data(const TensorType &type);
  InitSpec recipe(DType dtype);

  // Values.
  Value *source(const TensorType &type);
  Value *indexSource(TensorType type, int64_t extent);
  Value *pickOr(const std::function<bool(const Value *)> &fits,
                const std::function<TensorType()> &make);
  /// An earlier value of exactly `type`, or a fresh source of it.
  Value *ofType(const TensorType &type);
  Value *operand(Need need, size_t minRank = 0, size_t maxRank = 4);
  Value *partner(const Shape &s, DType t);
  std::vector<int64_t> axesOf(size_t rank);

  // Nodes.
  Value *node(OpKind op);
  Value *add(OpKind op, std::vector<Value *> operands, Attributes attrs = {}) {
    Value *v = b_.op(op, std::move(operands), std::move(attrs),
                     rng_.chance(1, 5) ? name("n", 3) : "");
    pool_.push_back(v);
    return v;
  }
  /// conv2d, the pools and their gradients (RandomGraphWindows.cpp).
  Value *windowOp(OpKind op);
  Value *scatterAdd();
  /// A scan whose body is a small recurrence (RandomGraphWindows.cpp).
  Value *scan();
  void outputs();
  OptimizerConfig optimizer();

  uint64_t seed_;
  Rng rng_;
  Model m_;
  Builder b_;
  std::vector<Value *> pool_;
  int counter_ = 0;
};

} // namespace adjoint::testing::detail
