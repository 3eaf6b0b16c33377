//===- Builder.h - The C++ API for building graphs ------------------------===//
//
// Builder appends nodes to a Graph, inferring each result type (a bad shape
// throws at the call that makes it). Besides one method per primitive it
// builds the composites that are not primitives: softmax, log_softmax,
// reduce_mean, dense and flatten.
//
//   Graph g("mlp");
//   Builder b(g);
//   Value *x = b.input("x", {DType::F32, {32, 784}});
//   Value *w = b.param("w", {DType::F32, {784, 10}}, glorotUniform(1));
//   b.output("probs", b.softmax(b.matmul(x, w)));
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <optional>
#include <string>
#include <vector>

namespace adjoint {

/// Options of conv2d (ONNX order for pads: top, left, bottom, right).
struct Conv2DOptions {
  std::vector<int64_t> strides = {1, 1};
  std::vector<int64_t> pads = {0, 0, 0, 0};
  std::vector<int64_t> dilations = {1, 1};
  int64_t groups = 1;
  /// "NCHW", or "NHWC" with HWIO weights (conv2d only, not its gradients).
  std::string dataFormat = "NCHW";
};

/// Options of max_pool2d and avg_pool2d.
struct Pool2DOptions {
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides = {1, 1};
  std::vector<int64_t> pads = {0, 0, 0, 0};
  bool countIncludePad = false; ///< avg_pool2d only
  /// "NCHW" or "NHWC" (max_pool2d and avg_pool2d, not their gradients).
  std::string dataFormat = "NCHW";
};

/// Initializer shorthands.
InitSpec glorotUniform(uint64_t seed);
InitSpec heNormal(uint64_t seed);
InitSpec heUniform(uint64_t seed);
InitSpec zerosInit();
InitSpec onesInit();
InitSpec uniformInit(uint64_t seed, double low, double high);

class Builder {
public:
  explicit Builder(Graph &g) : g_(g) {}
  Graph &graph() { return g_; }

  Value *input(const std::string &name, const TensorType &type);
  Value *param(const std::string &name, const TensorType &type,
               const InitSpec &init);
  Value *param(const std::string &name, Tensor data);
  void output(const std::string &name, Value *v);

  /// Appends a node of `op`, inferring its type; `name` empty gives a fresh
  /// name. Throws BadInput naming the op and shapes if the types don't fit.
  Value *op(OpKind op, std::vector<Value *> operands, Attributes attrs = {},
            const std::string &name = "");

  // Sources.
  Value *constant(Tensor value, const std::string &name = "");
  /// A rank-0 constant of `dtype`.
  Value *scalar(DType dtype, double value);
  Value *iota(DType dtype, Shape shape, int64_t axis = 0);

  // Unary.
  Value *neg(Value *x) { return op(OpKind::Neg, {x}); }
  Value *abs(Value *x) { return op(OpKind::Abs, {x}); }
  Value *sign(Value *x) { return op(OpKind::Sign, {x}); }
  /// Rows of `depth` elements of `dtype` per index: 1 at the index, 0
  /// elsewhere; an index outside [0, depth) is an error when run.
  Value *oneHot(Value *indices, int64_t depth, DType dtype = DType::F32);
  Value *exp(Value *x) { return op(OpKind::Exp, {x}); }
  Value *log(Value *x) { return op(OpKind::Log, {x}); }
  Value *sqrt(Value *x) { return op(OpKind::Sqrt, {x}); }
  Value *tanh(Value *x) { return op(OpKind::Tanh, {x}); }
  Value *sigmoid(Value *x) { return op(OpKind::Sigmoid, {x}); }
  Value *relu(Value *x) { return op(OpKind::Relu, {x}); }
  Value *erf(Value *x) { return op(OpKind::Erf, {x}); }
  Value *logicalNot(Value *x) { return op(OpKind::LogicalNot, {x}); }

  // Binary, numpy broadcasting.
  Value *add(Value *a, Value *b) { return op(OpKind::Add, {a, b}); }
  Value *sub(Value *a, Value *b) { return op(OpKind::Sub, {a, b}); }
  Value *mul(Value *a, Value *b) { return op(OpKind::Mul, {a, b}); }
  Value *div(Value *a, Value *b) { return op(OpKind::Div, {a, b}); }
  Value *pow(Value *a, Value *b) { return op(OpKind::Pow, {a, b}); }
  Value *maximum(Value *a, Value *b) { return op(OpKind::Maximum, {a, b}); }
  Value *minimum(Value *a, Value *b) { return op(OpKind::Minimum, {a, b}); }
  Value *equal(Value *a, Value *b) { return op(OpKind::Equal, {a, b}); }
  Value *less(Value *a, Value *b) { return op(OpKind::Less, {a, b}); }
  Value *lessEqual(Value *a, Value *b) { return op(OpKind::LessEqual, {a, b}); }
  Value *greater(Value *a, Value *b) { return op(OpKind::Greater, {a, b}); }
  Value *greaterEqual(Value *a, Value *b) {
    return op(OpKind::GreaterEqual, {a, b});
  }
  Value *logicalAnd(Value *a, Value *b) {
    return op(OpKind::LogicalAnd, {a, b});
  }
  Value *logicalOr(Value *a, Value *b) { return op(OpKind::LogicalOr, {a, b}); }
  Value *select(Value *cond, Value *a, Value *b) {
    return op(OpKind::Select, {cond, a, b});
  }
  Value *cast(Value *x, DType to);

  // Reductions; `axes` empty (std::nullopt) means all axes.
  Value *reduceSum(Value *x, std::optional<std::vector<int64_t>> axes,
                   bool keepdims = false);
  /// The mean over `axes` (reduce_mean); `x` must be a float tensor.
  Value *reduceMean(Value *x, std::optional<std::vector<int64_t>> axes,
                    bool keepdims = false);
  Value *reduceMax(Value *x, std::optional<std::vector<int64_t>> axes,
                   bool keepdims = false);
  Value *reduceMin(Value *x, std::optional<std::vector<int64_t>> axes,
                   bool keepdims = false);
  Value *argmax(Value *x, int64_t axis, bool keepdims = false);

  // Shapes.
  Value *reshape(Value *x, Shape shape);
  /// An empty `perm` reverses the axes.
  Value *transpose(Value *x, std::vector<int64_t> perm = {});
  Value *broadcastTo(Value *x, Shape shape);
  Value *slice(Value *x, std::vector<int64_t> starts, std::vector<int64_t> ends,
               std::vector<int64_t> axes = {}, std::vector<int64_t> steps = {});
  Value *concat(std::vector<Value *> xs, int64_t axis);
  Value *pad(Value *x, std::vector<int64_t> pads, double value = 0);
  Value *gather(Value *data, Value *indices, int64_t axis = 0);

  // Contractions and windows.
  Value *matmul(Value *a, Value *b) { return op(OpKind::MatMul, {a, b}); }
  Value *conv2d(Value *x, Value *w, const Conv2DOptions &opts = {});
  Value *maxPool2d(Value *x, const Pool2DOptions &opts);
  Value *avgPool2d(Value *x, const Pool2DOptions &opts);
  /// The identity, through which no gradient flows.
  Value *stopGradient(Value *x) { return op(OpKind::StopGradient, {x}); }
  /// d(sum(dy * conv2d(x, w)))/dx for an input x of shape `inputShape`.
  Value *conv2dInputGrad(Value *dy, Value *w, Shape inputShape,
                         const Conv2DOptions &opts = {});
  /// d(sum(dy * conv2d(x, w)))/dw for a weight whose kernel is `kernel`
  /// ([kH, kW]).
  Value *conv2dWeightGrad(Value *x, Value *dy, std::vector<int64_t> kernel,
                          const Conv2DOptions &opts = {});
  /// d(sum(dy * max_pool2d(x)))/dx.
  Value *maxPool2dGrad(Value *x, Value *dy, const Pool2DOptions &opts);
  /// d(sum(dy * avg_pool2d(x)))/dx for an input x of shape `inputShape`.
  Value *avgPool2dGrad(Value *dy, Shape inputShape, const Pool2DOptions &opts);
  /// zeros(shape) with `updates` added at `indices` along `axis`: the
  /// adjoint of gather.
  Value *scatterAdd(Value *indices, Value *updates, Shape shape,
                    int64_t axis = 0);

  // Composites, expanded into primitives.
  /// exp(x - max) / sum(exp(x - max)) along `axis`.
  Value *softmax(Value *x, int64_t axis = -1);
  /// softmax(scale * q @ k^T) @ v over the last two axes (query i sees
  /// only keys j <= i when `causal`): the `attention` op.
  Value *attention(Value *q, Value *k, Value *v, double scale,
                   bool causal = false);
  /// (x - max) - log(sum(exp(x - max))) along `axis`.
  Value *logSoftmax(Value *x, int64_t axis = -1);
  /// x @ w + b.
  Value *dense(Value *x, Value *w, Value *b);
  /// Reshape to [prod(dims before axis), prod(dims from axis)].
  Value *flatten(Value *x, int64_t axis = 1);

private:
  Value *reduce(OpKind op, Value *x, std::optional<std::vector<int64_t>> axes,
                bool keepdims);
  Value *softmaxShift(Value *x, int64_t axis);
  Graph &g_;
};

} // namespace adjoint
