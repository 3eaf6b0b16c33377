//===- Data.cpp - Tensors, data sets and the optimizers by name -----------===//
#include "keras/KerasImpl.h"

#include "compiler/training/Dataset.h"
#include "ir/Error.h"
#include "ir/NpyFile.h"

#include <cstring>

namespace adjoint::keras {

Tensor::Tensor(const Shape &shape, const std::vector<float> &values)
    : adjoint::Tensor(TensorType{DType::F32, shape}) {
  if ((int64_t)values.size() != numElements())
    badInput("Tensor: shape ", shapeStr(shape), " holds ", numElements(),
             " values, not ", values.size());
  std::memcpy(bytes(), values.data(), byteSize());
}

Tensor::Tensor(const Shape &shape, std::initializer_list<double> values)
    : Tensor(shape, std::vector<float>(values.begin(), values.end())) {}

Tensor Tensor::int64(const Shape &shape, const std::vector<int64_t> &values) {
  adjoint::Tensor t(TensorType{DType::I64, shape});
  if ((int64_t)values.size() != t.numElements())
    badInput("Tensor: shape ", shapeStr(shape), " holds ", t.numElements(),
             " values, not ", values.size());
  std::memcpy(t.bytes(), values.data(), t.byteSize());
  return t;
}

Tensor Tensor::loadNpy(const std::string &path) { return readNpy(path); }

void Tensor::saveNpy(const std::string &path) const {
  if (!hasStorage())
    badInput("saveNpy: ", path, ": the tensor is empty");
  writeNpy(path, *this);
}

namespace datasets {

Splits fashionMnist() {
  adjoint::Dataset d = loadFashionMnist();
  // [n, 1, 28, 28] as Keras's [n, 28, 28]: the same bytes.
  return {{viewExamples(d.trainX, {28, 28}), d.trainY},
          {viewExamples(d.testX, {28, 28}), d.testY}};
}

} // namespace datasets

namespace utils {

Tensor toCategorical(const Tensor &labels, int64_t numClasses) {
  if (numClasses <= 0)
    badInput("toCategorical: numClasses must be positive, not ", numClasses);
  if (!labels.hasStorage() || labels.rank() != 1 || !isInteger(labels.dtype()))
    badInput("toCategorical: needs integer labels [n], not ",
             labels.hasStorage() ? typeStr(labels.type()) : "an empty tensor");
  int64_t n = labels.shape()[0];
  adjoint::Tensor out(TensorType{DType::F32, {n, numClasses}});
  std::memset(out.bytes(), 0, out.byteSize());
  for (int64_t i = 0; i < n; ++i) {
    double c = labels.elementAsDouble(i);
    if (c < 0 || c >= (double)numClasses)
      badInput("toCategorical: label ", c, " of row ", i, " is outside the ",
               numClasses, " classes");
    out.data<float>()[i * numClasses + (int64_t)c] = 1;
  }
  return out;
}

} // namespace utils

namespace schedules {

Schedule ExponentialDecay(const ExponentialDecayOptions &o) {
  Schedule s;
  s.kind = o.staircase ? "step" : "exponential";
  s.decaySteps = o.decaySteps;
  s.rate = o.decayRate;
  s.warmupSteps = o.warmupSteps;
  return s;
}

Schedule CosineDecay(const CosineDecayOptions &o) {
  Schedule s;
  s.kind = "cosine";
  s.decaySteps = o.decaySteps;
  s.minimum = o.alpha;
  s.warmupSteps = o.warmupSteps;
  return s;
}

} // namespace schedules

namespace optimizers {
namespace {
Optimizer named(const char *name, const Settings &s) {
  Optimizer o(name);
  o.learningRate = s.learningRate;
  o.momentum = s.momentum;
  o.weightDecay = s.weightDecay;
  o.schedule = s.schedule;
  return o;
}
} // namespace
Optimizer SGD(const Settings &s) { return named("sgd", s); }
Optimizer Momentum(const Settings &s) { return named("momentum", s); }
Optimizer Adam(const Settings &s) { return named("adam", s); }
Optimizer AdamW(const Settings &s) { return named("adamw", s); }
} // namespace optimizers

} // namespace adjoint::keras
