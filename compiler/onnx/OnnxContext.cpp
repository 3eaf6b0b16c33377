//===- OnnxContext.cpp - What an ONNX op converter sees -------------------===//
#include "compiler/onnx/OnnxContext.h"

#include "compiler/onnx/OnnxImporter.h"
#include "ir/Error.h"

#include <onnx/onnx_pb.h>

namespace adjoint::onnximport {

NodeContext::NodeContext(const onnx::NodeProto &node, int64_t opset,
                         ValueSource &src)
    : node_(node), opset_(opset), src_(src) {}

const std::string &NodeContext::opType() const { return node_.op_type(); }

size_t NodeContext::numInputs() const { return (size_t)node_.input_size(); }

bool NodeContext::hasInput(size_t i) const {
  return i < numInputs() && !node_.input((int)i).empty();
}

Value *NodeContext::input(size_t i) {
  if (!hasInput(i))
    unsupported(strCat("input ", i, " is missing"));
  return src_.value(node_.input((int)i));
}

Tensor NodeContext::staticInput(size_t i, const std::string &what) {
  if (!hasInput(i))
    unsupported(strCat("input ", i, " (", what, ") is missing"));
  std::optional<Tensor> t = src_.staticValue(node_.input((int)i));
  if (!t)
    unsupported(strCat("input '", what, "' is not a constant or initializer"));
  return *t;
}

std::vector<int64_t> NodeContext::staticInts(size_t i,
                                             const std::string &what) {
  Tensor t = staticInput(i, what);
  if (!isInteger(t.dtype()))
    unsupported(strCat("input '", what, "' is not integer"));
  std::vector<int64_t> out((size_t)t.numElements());
  // i64 is read as is: through a double, values near the extremes round
  // out of range (found by fuzz_LoadOnnx). Narrower integers fit a double.
  for (size_t k = 0; k < out.size(); ++k)
    out[k] = t.dtype() == DType::I64 ? t.data<int64_t>()[k]
                                     : (int64_t)t.elementAsDouble((int64_t)k);
  return out;
}

Tensor int64Tensor(const std::vector<int64_t> &values) {
  Tensor t(TensorType{DType::I64, {(int64_t)values.size()}});
  std::copy(values.begin(), values.end(), t.data<int64_t>());
  return t;
}

Tensor int64Scalar(int64_t v) {
  Tensor t(TensorType{DType::I64, {}});
  t.data<int64_t>()[0] = v;
  return t;
}

Tensor NodeContext::staticScalar(size_t i, const std::string &what) {
  Tensor t = staticInput(i, what);
  if (t.numElements() != 1)
    unsupported(strCat("input '", what, "' holds ", t.numElements(),
                       " elements instead of one"));
  return t;
}

int64_t NodeContext::staticInt(size_t i, const std::string &what) {
  staticScalar(i, what);
  return staticInts(i, what)[0];
}

size_t NodeContext::numOutputs() const { return (size_t)node_.output_size(); }

bool NodeContext::hasOutput(size_t i) const {
  return i < numOutputs() && !node_.output((int)i).empty();
}

void NodeContext::setOutput(size_t i, Value *v) {
  if (!hasOutput(i))
    return;
  src_.define(node_.output((int)i), v);
}

const onnx::AttributeProto *
NodeContext::findAttr(const std::string &name) const {
  for (const auto &a : node_.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

namespace {

/// Throws Unsupported unless attribute `a` (if any) is of `type`.
const onnx::AttributeProto *checked(const onnx::AttributeProto *a,
                                    onnx::AttributeProto::AttributeType type) {
  // Old exporters leave `type` unset (0); the field then tells.
  if (a && a->type() != type && a->type() != onnx::AttributeProto::UNDEFINED)
    unsupported("attribute '" + a->name() + "' of type " +
                onnx::AttributeProto::AttributeType_Name(a->type()) +
                ", expected " + onnx::AttributeProto::AttributeType_Name(type));
  return a;
}

} // namespace

bool NodeContext::has(const std::string &name) const {
  return findAttr(name) != nullptr;
}

int64_t NodeContext::attrInt(const std::string &name, int64_t dflt) {
  read_.insert(name);
  const auto *a = checked(findAttr(name), onnx::AttributeProto::INT);
  return a ? a->i() : dflt;
}

int64_t NodeContext::attrInt(const std::string &name) {
  read_.insert(name);
  const auto *a = checked(findAttr(name), onnx::AttributeProto::INT);
  if (!a)
    unsupported("attribute '" + name + "' is missing");
  return a->i();
}

double NodeContext::attrFloat(const std::string &name, double dflt) {
  read_.insert(name);
  const auto *a = checked(findAttr(name), onnx::AttributeProto::FLOAT);
  return a ? (double)a->f() : dflt;
}

std::string NodeContext::attrString(const std::string &name,
                                    const std::string &dflt) {
  read_.insert(name);
  const auto *a = checked(findAttr(name), onnx::AttributeProto::STRING);
  return a ? a->s() : dflt;
}

std::vector<int64_t> NodeContext::attrInts(const std::string &name,
                                           std::vector<int64_t> dflt) {
  read_.insert(name);
  const auto *a = checked(findAttr(name), onnx::AttributeProto::INTS);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : dflt;
}

std::vector<double> NodeContext::attrFloats(const std::string &name,
                                            std::vector<double> dflt) {
  read_.insert(name);
  const auto *a = checked(findAttr(name), onnx::AttributeProto::FLOATS);
  return a ? std::vector<double>(a->floats().begin(), a->floats().end()) : dflt;
}

Tensor NodeContext::attrTensor(const std::string &name) {
  read_.insert(name);
  const auto *a = checked(findAttr(name), onnx::AttributeProto::TENSOR);
  if (!a)
    unsupported("attribute '" + name + "' is missing");
  try {
    return tensorFromOnnx(a->t(), "attribute '" + name + "'");
  } catch (const Error &e) {
    unsupported(e.what());
  }
}

ImportedBody NodeContext::attrBody(const std::string &name,
                                   const std::vector<TensorType> &inputTypes) {
  read_.insert(name);
  const auto *a = checked(findAttr(name), onnx::AttributeProto::GRAPH);
  if (!a)
    unsupported("attribute '" + name + "' is missing");
  return src_.importBody(a->g(), inputTypes);
}

void NodeContext::ignore(const std::string &name) { read_.insert(name); }

void NodeContext::checkAllAttributesRead() const {
  for (const auto &a : node_.attribute())
    if (!read_.count(a.name()))
      unsupported("attribute '" + a.name() + "'");
}

} // namespace adjoint::onnximport
