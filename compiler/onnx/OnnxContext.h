//===- OnnxContext.h - What an ONNX op converter sees -----------*- C++ -*-===//
//
// Internal to the importer. Each ONNX op has one converter, a function of a
// NodeContext that reads the node's inputs and attributes and appends
// Adjoint nodes through a Builder. A converter that meets something Adjoint
// cannot express throws Unsupported with the reason; the importer collects
// these over the whole graph. Inputs that must be static (Reshape's shape)
// come from initializers, Constant nodes, Shape of a static shape, or any
// computation on those, which the importer folds as it goes.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Builder.h"
#include "ir/Tensor.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace onnx {
class NodeProto;
class AttributeProto;
class GraphProto;
} // namespace onnx

namespace adjoint::onnximport {

/// Thrown by a converter for what Adjoint cannot import; what() is the
/// reason ("attribute 'ceil_mode' = 1", "input 'shape' is not constant").
class Unsupported : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void unsupported(const std::string &reason) {
  throw Unsupported(reason);
}

/// An ONNX subgraph (a Scan's body) imported as a graph: its inputs are the
/// subgraph's, then one per value of the enclosing graphs it reads
/// (`captures`, in that order).
struct ImportedBody {
  std::shared_ptr<Graph> graph;
  std::vector<Value *> captures;
};

/// The importer's side of a NodeContext.
class ValueSource {
public:
  virtual ~ValueSource() = default;
  /// The Adjoint value of the ONNX value `name`.
  virtual Value *value(const std::string &name) = 0;
  /// Its data when known at import time.
  virtual std::optional<Tensor> staticValue(const std::string &name) = 0;
  /// Defines the ONNX value `name` as `v`.
  virtual void define(const std::string &name, Value *v) = 0;
  virtual Builder &builder() = 0;
  /// Imports `body` with inputs of `inputTypes` (its declared inputs, in
  /// order). Unsupported when a node of it cannot be imported.
  virtual ImportedBody
  importBody(const onnx::GraphProto &body,
             const std::vector<TensorType> &inputTypes) = 0;
};

/// One ONNX node being converted.
class NodeContext {
public:
  NodeContext(const onnx::NodeProto &node, int64_t opset, ValueSource &src);

  const onnx::NodeProto &node() const { return node_; }
  const std::string &opType() const;
  int64_t opset() const { return opset_; }
  Builder &b() { return src_.builder(); }

  /// The number of inputs, counting empty (omitted) ones.
  size_t numInputs() const;
  /// Whether input `i` is given (present and not the empty name).
  bool hasInput(size_t i) const;
  /// Input `i` as a value (Unsupported if absent).
  Value *input(size_t i);
  /// Input `i` as data known at import time; Unsupported naming `what` if
  /// it is not.
  Tensor staticInput(size_t i, const std::string &what);
  /// Input `i` as integers known at import time.
  std::vector<int64_t> staticInts(size_t i, const std::string &what);
  /// Input `i` as one value known at import time (Unsupported unless it
  /// holds exactly one element).
  Tensor staticScalar(size_t i, const std::string &what);
  /// Input `i` as one integer known at import time.
  int64_t staticInt(size_t i, const std::string &what);

  size_t numOutputs() const;
  /// Whether output `i` is wanted (present and not the empty name).
  bool hasOutput(size_t i) const;
  /// Defines output `i` (ignored if the node does not name it).
  void setOutput(size_t i, Value *v);

  /// Attribute readers; each marks the attribute as understood. Any
  /// attribute a converter never read makes the node unsupported.
  bool has(const std::string &name) const;
  int64_t attrInt(const std::string &name, int64_t dflt);
  int64_t attrInt(const std::string &name);
  double attrFloat(const std::string &name, double dflt);
  std::string attrString(const std::string &name, const std::string &dflt);
  std::vector<int64_t> attrInts(const std::string &name,
                                std::vector<int64_t> dflt = {});
  std::vector<double> attrFloats(const std::string &name,
                                 std::vector<double> dflt = {});
  Tensor attrTensor(const std::string &name);
  /// A graph attribute (a Scan's body), imported with inputs of
  /// `inputTypes`.
  ImportedBody attrBody(const std::string &name,
                        const std::vector<TensorType> &inputTypes);
  /// Marks attributes as read without using them (the converter checked
  /// they do not matter).
  void ignore(const std::string &name);
  /// Throws Unsupported for the first attribute no reader marked.
  void checkAllAttributesRead() const;

  /// A rank-0 constant of `v`'s dtype.
  Value *scalarLike(Value *v, double x) {
    return b().scalar(v->type().dtype, x);
  }

private:
  const onnx::AttributeProto *findAttr(const std::string &name) const;
  const onnx::NodeProto &node_;
  int64_t opset_;
  ValueSource &src_;
  std::set<std::string> read_;
};

/// Converts one ONNX op.
using Converter = std::function<void(NodeContext &)>;
using ConverterTable = std::map<std::string, Converter>;

/// The converters, by ONNX op type, one function per file.
void addMathConverters(ConverterTable &t);
void addShapeConverters(ConverterTable &t);
void addNnConverters(ConverterTable &t);
void addReduceConverters(ConverterTable &t);
void addRnnConverters(ConverterTable &t);
void addIndexConverters(ConverterTable &t);
void addResizeConverters(ConverterTable &t);
void addScatterConverters(ConverterTable &t);
void addControlConverters(ConverterTable &t); // OnnxControlOps.cpp

/// Folded results, and tensors a converter builds at import time, larger
/// than this stay computations (or are refused).
inline constexpr int64_t kMaxFoldElements = 1 << 22;
/// Nodes costing more floating-point operations than this (ir/Flops.h) are
/// not folded at import.
inline constexpr int64_t kMaxFoldFlops = int64_t(1) << 28;

/// Shared helpers.
/// The Adjoint dtype of ONNX element type `t`, if Adjoint has one.
std::optional<DType> dtypeFromOnnx(int64_t t);
/// Normalizes an axis in [-rank, rank) to [0, rank) (Unsupported if out of
/// range).
int64_t normalizeAxis(int64_t axis, int64_t rank, const std::string &what);
/// An i64 tensor [n] of `values`, and a rank-0 one of `v`, built exactly
/// (never through a double, which rounds values beyond 2^53).
Tensor int64Tensor(const std::vector<int64_t> &values);
Tensor int64Scalar(int64_t v);
/// Throws Unsupported unless `v` has a float dtype.
void requireFloat(Value *v, const std::string &what);
/// The rank of `v`.
inline int64_t rankOf(Value *v) { return (int64_t)v->type().shape.size(); }
inline const Shape &shapeOf(Value *v) { return v->type().shape; }
/// The shape of `v`, which a converter computes with (element counts,
/// strides): throws Unsupported if it has a symbolic extent, so that the
/// import falls back to fixed extents instead of computing with a symbol's
/// encoding.
const Shape &staticShapeOf(Value *v, const std::string &what);

} // namespace adjoint::onnximport
